"""Deciding, per request, which injected misbehaviour it meets — reproducibly.

Every API request draws the same number of values from one seeded RNG, in arrival order, so a run
with a given seed and a given request sequence meets the same faults every time. Counters
(`throttle_next_n`, `fail_after_commit_next_n`) and the outage deadline live here, not in the frozen
`Faults`, and restart whenever new faults are set.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Literal

from devstack.netsuite_sim.config import Faults


@dataclass(frozen=True)
class Plan:
    """What happens to one admitted request."""

    latency_s: float = 0.0
    error: bool = False  # 503 before any work
    timeout: bool = False  # hang, then drop the connection, before any work


class FaultInjector:
    def __init__(self, faults: Faults, seed: int) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._faults = faults
        self._throttle_left = 0
        self._fail_commit_left = 0
        self._outage_until: float | None = None
        self.set(faults)

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults

    def set(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._throttle_left = faults.throttle_next_n
            self._fail_commit_left = faults.fail_after_commit_next_n
            self._outage_until = None
            if faults.outage_s is not None:
                self._outage_until = time.monotonic() + faults.outage_s

    def reseed(self) -> None:
        with self._lock:
            self._rng = random.Random(self._seed)

    def in_outage(self) -> bool:
        with self._lock:
            if self._faults.outage:
                return True
            return self._outage_until is not None and time.monotonic() < self._outage_until

    def throttle(self) -> bool:
        """An injected 429 at admission (another integration took the account's slots)."""
        with self._lock:
            draw = self._rng.random()
            if self._throttle_left > 0:
                self._throttle_left -= 1
                return True
            return draw < self._faults.throttle_rate

    def plan(self) -> Plan:
        """The faults an admitted request meets (the same draws whatever the rates are)."""
        with self._lock:
            f = self._faults
            jitter_draw, error_draw = self._rng.random(), self._rng.random()
            scale = self._rng.lognormvariate(0.0, f.latency_sigma) if f.latency_sigma > 0 else 1.0
            latency_ms = f.latency_ms * scale + f.latency_jitter_ms * jitter_draw
            # One draw decides error vs timeout, so their rates add up instead of shadowing each other.
            error = error_draw < f.error_rate
            timeout = not error and error_draw < f.error_rate + f.timeout_rate
            return Plan(latency_ms / 1000.0, error, timeout)

    def after_commit(self) -> Literal["error", "timeout"] | None:
        """Asked once per successful write: fail it although it was committed?"""
        with self._lock:
            draw = self._rng.random()
            if self._fail_commit_left > 0:
                self._fail_commit_left -= 1
                return self._faults.fail_after_commit_mode
            if draw < self._faults.fail_after_commit_rate:
                return self._faults.fail_after_commit_mode
            return None
