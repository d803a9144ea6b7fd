"""Is a schema change safe? Checked by resolving generated data, as a consumer would read it.

fastavro has no static compatibility checker, so this writes records generated from the writer
schema and reads them with the reader schema: a resolution failure means the change would break
readers of old data (backward) or old readers of new data (forward).
"""

from __future__ import annotations

import io

import fastavro
from fastavro.types import Schema
from fastavro.utils import generate_many


def can_read(writer: Schema, reader: Schema, *, samples: int = 20) -> tuple[bool, str]:
    """(True, '') when `reader` resolves every generated `writer` record, else (False, why)."""
    for record in generate_many(writer, samples):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, writer, record)
        buf.seek(0)
        try:
            fastavro.schemaless_reader(buf, writer, reader)
        except Exception as exc:  # SchemaResolutionError and friends
            return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def full_compatible(old: Schema, new: Schema) -> tuple[bool, str]:
    """New readers read old data and old readers read new data (Confluent's FULL)."""
    ok, why = can_read(old, new)
    if not ok:
        return False, f"backward: {why}"
    ok, why = can_read(new, old)
    return (True, "") if ok else (False, f"forward: {why}")
