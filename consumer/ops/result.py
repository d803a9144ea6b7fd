"""One line of `python -m consumer check`: ✔ passed, ✘ failed (with the fix), ○ not checked (why)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Catalog = Callable[[str], dict[str, Any]]  # record type → its JSON Schema (the metadata catalog)


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False  # not checked (not configured): neither passed nor failed

    def line(self) -> str:
        mark = "○" if self.skipped else ("✔" if self.ok else "✘")
        return f"{mark} {self.name}: {self.detail}" + (
            "" if self.ok or not self.fix else f" — fix: {self.fix}"
        )

    @classmethod
    def skip(cls, name: str, why: str) -> Result:
        return cls(name, True, why, skipped=True)
