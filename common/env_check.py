"""Warn about environment variables that look like ours but are not: a typo is otherwise silent.

pydantic-settings ignores unknown variables, so `NETSUITE_CONCURENCY=15` leaves the default (5) in
force without a word. At start, every process lists the variables (from the environment and the
`.env` file) whose prefix is one of our settings' prefixes but whose name is none of them, and logs
a warning per variable with the closest known name. Names only: values can be secrets.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic_settings import BaseSettings

log = logging.getLogger(__name__)


# Read outside the settings classes (the log level of the JSON logs).
OTHER_VARIABLES = ("LOG_LEVEL",)


def project_settings() -> list[tuple[str, type[BaseSettings]]]:
    """Every settings class of the project, with who reads it: one ConfigMap feeds every process,
    so a variable known to any of them is no typo (the README's env table is generated from this)."""
    from consumer.audit.settings import AuditSettings
    from consumer.ops.settings import OperatorSettings
    from consumer.reconcile.settings import ReconcileSettings
    from consumer.settings import ConsumerSettings
    from consumer.woocommerce.settings import WooCommerceSettings
    from receiver.settings import ReceiverSettings

    return [
        ("receiver", ReceiverSettings),
        ("consumer", ConsumerSettings),
        ("consumer (when set: refund detail)", WooCommerceSettings),
        ("redrive/replay", OperatorSettings),
        ("reconcile", ReconcileSettings),
        ("audit", AuditSettings),
    ]


def known_names(classes: Iterable[type[BaseSettings]]) -> set[str]:
    return {name.upper() for cls in classes for name in cls.model_fields}


def unknown_variables(
    classes: Iterable[type[BaseSettings]], environ: Mapping[str, str], env_file: Path = Path(".env")
) -> list[tuple[str, str | None]]:
    """(name, closest known name or None) for each variable with one of our prefixes that no
    settings class knows."""
    known = known_names(classes)
    prefixes = {name.split("_", 1)[0] + "_" for name in known}
    names = set(environ) | set(_env_file_names(env_file))
    out = []
    for name in sorted(names):
        upper = name.upper()
        if upper in known or not any(upper.startswith(p) for p in prefixes):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.8)
        out.append((name, close[0] if close else None))
    return out


def warn_unknown_variables() -> list[str]:
    """Log each unknown variable (none is an error); returns their names."""
    classes = [cls for _, cls in project_settings()]
    found = []
    for name, close in unknown_variables(classes, os.environ):
        if name.upper() in OTHER_VARIABLES:
            continue
        found.append(name)
        hint = f"; did you mean {close}?" if close else ""
        log.warning("unknown variable %s is ignored%s", name, hint)
    return found


def _env_file_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    names = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            names.append(line.split("=", 1)[0].removeprefix("export ").strip())
    return names
