"""Supply chain: the hashed locks, pyproject, `make install` and the image agree.

No Docker engine here, so the image is checked by reading deploy/Dockerfile: it must install exactly
requirements.lock (hash-checked, nothing resolved beyond it) and nothing else. The lock in turn must
be exactly what pyproject.toml declares: its dependencies resolved through the installed packages'
metadata (this venv was installed from the lock) for CI's Python 3.11 on x86_64 Linux.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
MAKEFILE = ROOT / "Makefile"
REGENERATE = "regenerate with: make lock"

# Lowest release without a published advisory, for packages in the runtime set whether we import them
# or not (pyproject.toml states the floors of the direct ones, with the advisories).
ADVISORY_FLOORS = {
    "requests": "2.32.4",  # CVE-2024-47081
    "werkzeug": "3.0.6",  # CVE-2024-49766, CVE-2024-49767
    "flask": "3.1.1",  # CVE-2025-47278
    "gunicorn": "23.0.0",  # CVE-2024-6827, CVE-2024-1135
    "urllib3": "2.5.0",  # CVE-2025-50181, CVE-2025-50182
    "jinja2": "3.1.6",  # CVE-2025-27516
    "idna": "3.7",  # CVE-2024-3651
    "certifi": "2024.7.4",  # CVE-2024-39689
    "oauthlib": "3.2.1",  # CVE-2022-36087
    "pydantic": "2.4.0",  # CVE-2024-3772
}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@cache
def pins(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, sha256 hashes) of a `uv pip compile --generate-hashes` file."""
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8")):
        match = _PIN.match(entry)
        if match:
            out[canonicalize_name(match[1])] = (match[2], frozenset(_HASH.findall(entry)))
    assert out, f"{path.name} has no pins"
    return out


def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def resolve(requirements: list[str]) -> dict[str, set[str]]:
    """The transitive closure of `requirements` (name -> extras asked for), through installed metadata."""
    wanted: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = set(req.extras)
        if name in wanted and extras <= wanted[name]:
            continue
        wanted.setdefault(name, set()).update(extras)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            pytest.fail(f"{name} is required but not installed from the lock; {REGENERATE}")
        environments = [{"extra": e} for e in sorted(wanted[name])] or [{"extra": ""}]
        for line in dist.requires or []:
            dep = Requirement(line)
            if dep.marker is None or any(dep.marker.evaluate(env) for env in environments):
                todo.append(dep)
    return wanted


def project_requirements(extra: str | None = None) -> list[str]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    if extra is None:
        return list(project["dependencies"])
    return list(project["optional-dependencies"][extra])


def test_every_locked_package_is_pinned_with_hashes() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        for name, (version, hashes) in pins(lock).items():
            assert hashes, f"{lock.name}: {name}=={version} has no --hash ({REGENERATE})"
        text = lock.read_text(encoding="utf-8")
        assert "--generate-hashes" in text, lock.name
        assert "--python-version 3.11" in text, lock.name
        assert "-e " not in text, f"{lock.name}: only registry packages"
        assert "file://" not in text, f"{lock.name}: only registry packages"


def test_the_runtime_lock_is_exactly_what_pyproject_declares() -> None:
    locked = pins(RUNTIME_LOCK)
    resolved = resolve(project_requirements())
    assert set(resolved) == set(locked), (
        f"missing from the lock: {sorted(set(resolved) - set(locked))}, "
        f"not needed: {sorted(set(locked) - set(resolved))}; {REGENERATE}"
    )
    for line in project_requirements():
        req = Requirement(line)
        version = locked[canonicalize_name(req.name)][0]
        assert req.specifier.contains(version, prereleases=True), f"{req} but locked {version}"


def test_this_environment_was_installed_from_the_locks() -> None:
    merged = {**pins(DEV_LOCK), **pins(RUNTIME_LOCK)}
    for name, (version, _) in merged.items():
        assert distribution(name).version == version, f"{name}: installed {distribution(name).version}"


def test_the_dev_lock_adds_the_dev_tools_and_changes_no_runtime_pin() -> None:
    runtime, dev = pins(RUNTIME_LOCK), pins(DEV_LOCK)
    for name, (version, hashes) in runtime.items():
        assert name in dev, f"{name} missing from the dev lock ({REGENERATE})"
        assert dev[name][0] == version, f"{name}: runtime {version}, dev {dev[name][0]}"
        assert dev[name][1] == hashes, name
    wanted = resolve(project_requirements() + project_requirements("dev"))
    assert set(wanted) == set(dev), f"dev lock vs pyproject: {sorted(set(wanted) ^ set(dev))}"


@pytest.mark.parametrize(("name", "floor"), sorted(ADVISORY_FLOORS.items()))
def test_no_locked_release_has_a_known_advisory(name: str, floor: str) -> None:
    locked = pins(RUNTIME_LOCK)
    assert name in locked, f"{name} left the runtime set: drop it from ADVISORY_FLOORS"
    assert Version(locked[name][0]) >= Version(floor)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for parts in [line.strip().split(None, 1)]
    ]


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for op, args in dockerfile_instructions():
        if op == "FROM":
            out.append([])
        if out:
            out[-1].append((op, args))
    return out


def test_the_base_image_is_pinned_by_digest() -> None:
    args = dict(a.split("=", 1) for op, a in dockerfile_instructions() if op == "ARG" and "=" in a)
    for _, image in [i for i in dockerfile_instructions() if i[0] == "FROM"]:
        ref = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image.split()[0])
        assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", ref), ref


def test_the_image_installs_exactly_the_lock_and_keeps_no_installer() -> None:
    build, final = stages()
    copies = dict(reversed(args.split()) for op, args in build if op == "COPY" and "requirements" in args)
    installs = [args for stage in (build, final) for op, args in stage if op == "RUN" and "install" in args]
    pip_installs = [a for a in installs if re.search(r"\bpip\b.*\binstall\b", a)]
    assert len(pip_installs) == 1, pip_installs
    command = pip_installs[0]
    for flag in ("--require-hashes", "--no-deps", "--only-binary :all:"):
        assert flag in command, flag
    [target] = re.findall(r"-r (\S+)", command)
    assert copies[target] == "requirements.lock"
    assert "pip install ." not in " ".join(a for _, a in build + final)
    final_runs = " ".join(a for op, a in final if op == "RUN")
    assert re.search(r"pip uninstall --yes pip setuptools wheel", final_runs)
    assert "ensurepip" in final_runs
    assert not any(op == "COPY" and "pyproject" in a for op, a in build + final)


def test_make_install_installs_from_the_locks_and_make_lock_writes_them() -> None:
    text = MAKEFILE.read_text(encoding="utf-8")
    recipe = text[text.index("$(STAMP):") : text.index("touch $(STAMP)")]
    installs = [line.strip() for line in recipe.splitlines() if "pip install" in line]
    assert installs[0].endswith("--require-hashes --no-deps -r $(RUNTIME_LOCK)")
    assert installs[1].endswith("--require-hashes --no-deps -r $(DEV_LOCK)")
    assert installs[2].endswith("--no-deps -e .")
    assert len(installs) == 3, "nothing else is installed, pip itself included"
    assert "RUNTIME_LOCK := requirements.lock" in text
    assert "DEV_LOCK := requirements-dev.lock" in text
    lock = text[text.index("\nlock:") :].split("\n\n")[0]
    assert "uv pip compile pyproject.toml $(LOCK_FLAGS) -o $(RUNTIME_LOCK)" in lock
    assert "--extra dev $(LOCK_FLAGS) -c $(RUNTIME_LOCK) -o $(DEV_LOCK)" in lock
    assert "--generate-hashes --python-version 3.11" in text
