"""Integration fixtures: a fresh NetSuite simulator per test, and metric deltas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig


@pytest.fixture
def sim() -> Iterator[NetSuiteSimulator]:
    with NetSuiteSimulator(SimulatorConfig(concurrency_limit=5, seed=11)) as simulator:
        yield simulator


class MetricDelta:
    """Counters are process-wide: tests compare against what they were when the test began."""

    def __init__(self) -> None:
        self._start: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def _value(self, name: str, labels: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    def mark(self, name: str, **labels: str) -> None:
        self._start[(name, tuple(sorted(labels.items())))] = self._value(name, labels)

    def __call__(self, name: str, **labels: str) -> float:
        start = self._start.get((name, tuple(sorted(labels.items()))), 0.0)
        return self._value(name, labels) - start

    def sum(self, name: str, label: str) -> float:
        """Total over every value of one label, minus the total at the start."""
        return self._total(name, label) - self._start.get((name, (("*", label),)), 0.0)

    def mark_sum(self, name: str, label: str) -> None:
        self._start[(name, (("*", label),))] = self._total(name, label)

    @staticmethod
    def _total(name: str, label: str) -> float:
        return sum(
            s.value
            for metric in REGISTRY.collect()
            for s in metric.samples
            if s.name == name and label in s.labels
        )


@pytest.fixture
def metric_delta() -> MetricDelta:
    return MetricDelta()
