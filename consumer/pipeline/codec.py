"""The changelog topics' values: small JSON, short keys (`consumer.pipeline.changelog`)."""

from __future__ import annotations

import json

from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed


def encode_order(memory: OrderMemory) -> bytes:
    data: dict[str, object] = {"w": memory.written, "f": memory.fingerprint, "p": memory.parked}
    if memory.booked:  # absent in entries written before payments and refunds were booked
        data["b"] = sorted(memory.booked)
    return json.dumps(data).encode()


def decode_order(value: bytes) -> OrderMemory:
    data = json.loads(value)
    booked = frozenset(str(b) for b in data.get("b") or ())
    return OrderMemory(data.get("w"), data.get("f"), data.get("p"), booked)


def encode_customer(memory: CustomerMemory) -> bytes:
    placed = memory.placed.text() if memory.placed is not None else None
    return json.dumps({"id": memory.internal_id, "v": placed, "f": memory.fingerprint}).encode()


def decode_customer(value: bytes) -> CustomerMemory:
    data = json.loads(value)
    return CustomerMemory(str(data["id"]), Placed.parse(data.get("v")), data.get("f"))
