"""A faithful NetSuite SuiteTalk REST simulator for tests, `make run` and benchmarks.

No NetSuite account is reachable from CI, so this behaves as SuiteTalk documents: OAuth 1.0a TBA,
the account concurrency limit (429, no queue), sublist merge-on-update, NetSuite's error bodies,
SuiteQL — plus injectable latency and failures. See shared/reference/netsuite.md for the sources.
"""

from devstack.netsuite_sim.config import Faults, SimulatorConfig
from devstack.netsuite_sim.simulator import NetSuiteSimulator

__all__ = ["Faults", "NetSuiteSimulator", "SimulatorConfig"]
