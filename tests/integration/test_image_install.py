"""The image's install, played without a Docker engine: deploy/Dockerfile's steps in a clean venv.

The build stage installs exactly `requirements.lock` (hashes, no deps, wheels only) into a venv made
without pip; the runtime stage copies our four packages next to it. Here the same commands run in a
temporary directory, and the entry points the Deployments use start (`--help`) with nothing else on
the path: a module importing a dev-only package, or one of ours the image does not copy (devstack),
fails this test instead of the pod.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()


def test_the_images_install_steps_give_working_entry_points(tmp_path: Path) -> None:
    install = re.search(r"RUN pip --python /opt/venv/bin/python install (.+?)\n\s+-r", DOCKERFILE, re.S)
    assert install is not None, "the Dockerfile's install step changed: update this test"
    flags = install.group(1).replace("\\", " ").split()
    assert flags == ["--require-hashes", "--no-deps", "--only-binary", ":all:"]

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *flags,
         "-r", str(ROOT / "requirements.lock")],
        check=True, timeout=600,
    )  # fmt: skip
    app = tmp_path / "app"
    copied = re.findall(r"^COPY (\w+)/ /opt/app/\1/$", DOCKERFILE, re.M)
    assert sorted(copied) == ["common", "consumer", "receiver", "schemas"]
    for package in copied:
        shutil.copytree(ROOT / package, app / package, ignore=shutil.ignore_patterns("__pycache__"))

    for command in (["receiver"], ["consumer"], ["consumer", "topics"], ["consumer", "redrive"]):
        result = subprocess.run(
            [str(python), "-m", *command, "--help"],
            cwd=tmp_path,
            env={"PYTHONPATH": str(app), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (command, result.stderr)
    # what runs at start, beyond --help: every module the processes import
    imports = "import consumer.member, consumer.ops.cli, receiver.server, receiver.worker, receiver.app"
    result = subprocess.run(
        [str(python), "-c", imports],
        cwd=tmp_path,
        env={"PYTHONPATH": str(app)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
