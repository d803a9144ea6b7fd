"""Shared fixtures: the broker (see tests/kafka_fixture.py), unique topic names, fast group settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.kafka_fixture import kafka_bootstrap

# tansu (and real Kafka) make a group join wait about half the session timeout: keep it short.
TEST_SESSION_TIMEOUT_MS = 6000


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    kind: str  # 'external', 'testcontainers' or 'tansu'


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    with kafka_bootstrap() as (bootstrap, kind):
        yield Broker(bootstrap, kind)


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A topic/group prefix no other test uses (tests share one broker)."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40]
    return f"t-{base}-{uuid.uuid4().hex[:8]}"
