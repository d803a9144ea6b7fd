"""Fixtures of the simulator's own tests: one simulator per module, reset before each test.

A module that needs another configuration overrides `sim_config`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from tests.unit.netsuite_sim_support import signed_session


@pytest.fixture(scope="module")
def sim_config() -> SimulatorConfig:
    return SimulatorConfig()


@pytest.fixture(scope="module")
def running(sim_config: SimulatorConfig) -> Iterator[NetSuiteSimulator]:
    with NetSuiteSimulator(sim_config) as sim:
        yield sim


@pytest.fixture
def sim(running: NetSuiteSimulator) -> NetSuiteSimulator:
    running.reset()
    return running


@pytest.fixture
def session(sim: NetSuiteSimulator) -> Iterator[requests.Session]:
    with signed_session(sim) as s:
        yield s
