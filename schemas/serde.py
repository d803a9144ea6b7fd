"""Encode and decode `OrderEvent`s: Avro single-object encoding, or Confluent's wire format.

Single-object encoding (Avro spec): `C3 01` + the 8-byte little-endian CRC-64-AVRO fingerprint of
the writer schema's canonical form + the Avro binary body. The fingerprint lets a reader pick the
writer schema among those it knows (`schemas/history/` keeps every released version) and resolve
it against the current one. With `SCHEMA_REGISTRY_URL` set, Confluent's `AvroSerializer` frames the
value with the registry's schema id instead.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import fastavro
from fastavro.types import Schema
from pydantic import ValidationError

from schemas.avro_record import COMPUTED, from_record, to_record
from schemas.avro_writer import CompiledWriter, compile_writer
from schemas.order import OrderEvent, order_errors

SCHEMA_DIR = Path(__file__).parent
SCHEMA_FILE = SCHEMA_DIR / "order_event.avsc"
SINGLE_OBJECT_MAGIC = b"\xc3\x01"


class UndecodableMessage(ValueError):
    """The bytes are not an order event we can read (wrong framing, unknown schema, bad data)."""


class RegistryUnavailable(Exception):
    """The schema registry did not answer (down, unreachable, 5xx, refusing our credentials): not
    the record's fault — every record would fail the same way. The consumer halts and probes."""


class OrderSerde(Protocol):
    def encode(self, event: OrderEvent, topic: str) -> bytes: ...
    def decode(self, data: bytes, topic: str) -> OrderEvent: ...
    def probe(self) -> None: ...  # raises when what decoding depends on (a registry) does not answer


def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    return fastavro.parse_schema(json.loads(path.read_text()))


def fingerprint(schema: Schema) -> bytes:
    """CRC-64-AVRO of the schema's parsing canonical form, as the spec's 8 little-endian bytes."""
    canonical = fastavro.schema.to_parsing_canonical_form(schema)
    value = int(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"), 16)
    return struct.pack("<Q", value)


@cache
def _known_writers() -> dict[bytes, Schema]:
    schemas = [load_schema()] + [load_schema(p) for p in sorted((SCHEMA_DIR / "history").glob("*.avsc"))]
    return {fingerprint(s): s for s in schemas}


class SingleObjectSerde:
    """Avro single-object encoding with fastavro; the topic is not part of the framing."""

    def __init__(self, schema: Schema | None = None, writers: dict[bytes, Schema] | None = None) -> None:
        self.schema = schema if schema is not None else load_schema()
        self._fingerprint = fingerprint(self.schema)
        self._writers = dict(writers if writers is not None else _known_writers())
        self._writers[self._fingerprint] = self.schema
        self._header = SINGLE_OBJECT_MAGIC + self._fingerprint
        try:
            self._compiled: CompiledWriter | None = compile_writer(self.schema)
            self._from_event: CompiledWriter | None = compile_writer(self.schema, COMPUTED)
        except NotImplementedError:  # a schema beyond what the compiled writer knows: fastavro alone
            self._compiled = self._from_event = None

    def probe(self) -> None:
        """Nothing to ask: every writer schema is known locally."""

    def encode(self, event: OrderEvent, topic: str = "") -> bytes:
        """Written straight from the event's attributes (what `to_record` would copy into dicts);
        an event the writer was not built for goes through `to_record` and `encode_record`."""
        if self._from_event is not None:
            try:
                return self._from_event(event, self._header)
            except Exception:  # noqa: S110 - encode_record below writes it or raises fastavro's error
                pass
        return self.encode_record(to_record(event))

    def encode_record(self, record: dict[str, Any]) -> bytes:
        """The compiled writer's bytes (schemas/avro_writer.py: fastavro's, in half the time); a record
        it was not built for (a wrong type, a missing field) is fastavro's to write or to refuse."""
        if self._compiled is not None:
            try:
                return self._compiled(record, self._header)
            except Exception:  # noqa: S110 - fastavro below gives this record its bytes or its error
                pass
        buf = io.BytesIO()
        buf.write(self._header)
        fastavro.schemaless_writer(buf, self.schema, record)
        return buf.getvalue()

    def decode_record(self, data: bytes) -> dict[str, Any]:
        if len(data) < 10 or data[:2] != SINGLE_OBJECT_MAGIC:
            raise UndecodableMessage("not Avro single-object encoded (no C3 01 marker)")
        writer = self._writers.get(data[2:10])
        if writer is None:
            raise UndecodableMessage(f"unknown writer schema fingerprint {data[2:10].hex()}")
        try:
            record = fastavro.schemaless_reader(
                io.BytesIO(data[10:]), writer, self.schema, return_record_name=False
            )
        except Exception as exc:  # fastavro raises assorted types on corrupt input
            raise UndecodableMessage(f"corrupt Avro body: {type(exc).__name__}") from exc
        if not isinstance(record, dict):
            raise UndecodableMessage("Avro body is not a record")
        return record

    def decode(self, data: bytes, topic: str = "") -> OrderEvent:
        record = self.decode_record(data)
        try:
            return from_record(record)
        except Exception as exc:  # anyone who can write the topic can write anything (nesting included)
            raise UndecodableMessage(f"order fails validation: {describe(exc)}") from exc


def describe(exc: Exception) -> str:
    """Why a record could not be read, quoting no values: pydantic's errors without `input_value`
    (and without the validators' fast-path branches, `order_errors`), anything else by its type only
    (its text may echo the record)."""
    if isinstance(exc, ValidationError):
        errors = order_errors(exc)[:3]
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'order'}: {e['msg']}" for e in errors]
        return "; ".join(parts)[:500]
    return type(exc).__name__


@cache
def _registry_client(registry_url: str, options: tuple[tuple[str, str], ...] = ()) -> Any:
    """One registry client per URL (and credentials) per process: its schema cache is shared by every
    serde, and a `mock://` registry (the library's in-memory one, for tests) is then one registry for
    the receiver and the consumer of a process, as a real registry is for every process. `options`:
    `basic.auth.user.info`, `ssl.ca.location` (KafkaSettings.registry_config)."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    config = {"url": registry_url, **dict(options)}
    if registry_url.startswith("mock://"):
        return SchemaRegistryClient.new_client(config)
    return SchemaRegistryClient(config)


class RegistrySerde:
    """Confluent wire format (magic 0 + schema id) through `confluent_kafka.schema_registry`."""

    def __init__(
        self, registry_url: str, schema_text: str | None = None, options: Mapping[str, str] | None = None
    ) -> None:
        from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer

        text = schema_text if schema_text is not None else SCHEMA_FILE.read_text()
        client = _registry_client(registry_url, tuple(sorted((options or {}).items())))
        self._client = client
        self._serializer = AvroSerializer(client, text, lambda event, ctx: to_record(event))
        self._deserializer = AvroDeserializer(client, text)

    def encode(self, event: OrderEvent, topic: str) -> bytes:
        from confluent_kafka.serialization import MessageField, SerializationContext

        data = self._serializer(event, SerializationContext(topic, MessageField.VALUE))
        assert data is not None
        return bytes(data)

    def decode(self, data: bytes, topic: str) -> OrderEvent:
        from confluent_kafka.serialization import MessageField, SerializationContext

        try:
            record = self._deserializer(data, SerializationContext(topic, MessageField.VALUE))
            return from_record(record)
        except Exception as exc:  # the library raises SerializationError and friends
            if _registry_down(exc):
                raise RegistryUnavailable(describe(exc)) from exc
            raise UndecodableMessage(f"not decodable with the registry: {describe(exc)}") from exc

    def probe(self) -> None:
        self._client.get_subjects()


def _registry_down(exc: BaseException) -> bool:
    """A transport failure or an answer that is no verdict on the record (5xx, 401/403, 408, 429)
    anywhere in the cause chain; a 404 (unknown schema id) or a decoding error is the record's."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SchemaRegistryError):
            code = seen.http_status_code
            return code < 0 or code >= 500 or code in (401, 403, 408, 429)
        if isinstance(seen, OSError) or type(seen).__module__.startswith(("httpx", "httpcore", "requests")):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def make_serde(schema_registry_url: str | None, options: Mapping[str, str] | None = None) -> OrderSerde:
    """The serde the settings ask for: registry framing when a URL is set, else single-object."""
    if schema_registry_url:
        return RegistrySerde(schema_registry_url, options=options)
    return SingleObjectSerde()
