"""One simulated account: its state, and the path every API request takes through it.

Order of checks, as NetSuite's front end would apply them: an outage answers 503 before anything
else; then the OAuth signature (401); then the account governor admits or rejects (429, no queue);
then, holding the slot, the injected latency, errors or hangs, the route itself, and optionally a
failure *after* the write committed. The slot is released before the answer goes out.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from devstack.netsuite_sim import metadata
from devstack.netsuite_sim.auth import OAuthVerifier
from devstack.netsuite_sim.config import Faults, SimulatorConfig, load_items
from devstack.netsuite_sim.errors import ERROR_CONTENT_TYPE, ApiError, concurrency_exceeded, unexpected
from devstack.netsuite_sim.faults import FaultInjector
from devstack.netsuite_sim.governor import Counters, Governor
from devstack.netsuite_sim.messages import Request, Response
from devstack.netsuite_sim.reads import PREFIX
from devstack.netsuite_sim.records_api import handle_record
from devstack.netsuite_sim.store import ITEM_TYPES, RECORD_TYPES, RecordStore
from devstack.netsuite_sim.suiteql import run_suiteql

log = logging.getLogger(__name__)

SUITEQL_PATH = "/services/rest/query/v1/suiteql"


class SimulatorApp:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self.counters = Counters()
        self.governor = Governor(config.concurrency_limit)
        self.injector = FaultInjector(config.faults, config.seed)
        self.verifier = OAuthVerifier(config)
        self.store = self._seeded_store()

    def _seeded_store(self) -> RecordStore:
        cfg = self.config
        store = RecordStore(cfg.currencies, cfg.tax_codes, cfg.base_currency_id)
        store.add_reference(cfg.payment_methods, cfg.accounts)
        self._add_items(store, load_items(cfg.items))
        return store

    # --- the API path -------------------------------------------------------------------------

    def handle_api(self, request: Request) -> Response | None:
        """The answer, or None to drop the connection without one (a simulated timeout)."""
        self.counters.add("requests")
        try:
            response = self._admitted(request)
        except ApiError as error:
            response = Response(error.status, error.body(), content_type=ERROR_CONTENT_TYPE)
        if response is not None:
            self.counters.status(response.status)
        return response

    def _admitted(self, request: Request) -> Response | None:
        if self.injector.in_outage():
            self.counters.add("outage_rejections")
            raise unexpected("The service is temporarily unavailable.")
        try:
            host = request.header("Host") or ""
            self.verifier.verify(request.method, host, request.target, request.header("Authorization"))
        except ApiError as error:
            self.counters.add("auth_failures")
            log.debug("auth failure: %s", error.internal)
            raise
        if self.injector.throttle() or not self.governor.try_admit():
            self.counters.add("throttled")
            raise concurrency_exceeded()
        admitted = time.perf_counter()
        try:
            return self._in_slot(request)
        finally:
            self.governor.release(time.perf_counter() - admitted)

    def _in_slot(self, request: Request) -> Response | None:
        plan = self.injector.plan()
        if plan.latency_s > 0 and self.stop_event.wait(plan.latency_s):
            return None  # stopping: drop
        if plan.timeout:
            self.counters.add("injected_timeouts")
            self._hang()
            return None
        if plan.error or any(part in request.path for part in self.injector.faults.failing_paths):
            self.counters.add("injected_errors")
            raise unexpected()
        response = self._route(request)
        if response.wrote:
            mode = self.injector.after_commit()
            if mode is not None:
                self.counters.add("failed_after_commit")
                if mode == "timeout":
                    self._hang()
                    return None
                raise unexpected()
        return response

    def _hang(self) -> None:
        """Hold the request (and its slot) past the client's read timeout; the caller then drops it."""
        self.stop_event.wait(self.injector.faults.hang_s)

    def _route(self, request: Request) -> Response:
        config = self.config
        if metadata.is_catalog(request):
            return metadata.catalog(request, config.custom_fields)
        record_type = metadata.record_type_of(request)
        if record_type is not None:
            if record_type in config.denied_record_types:
                raise metadata.forbidden(f"the {record_type} record")
            declared = metadata.declared_only(request, record_type, config.custom_fields)
            return handle_record(declared, self.store, config, self.stop_event)
        if request.path == SUITEQL_PATH and request.method == "POST":
            if not config.suiteql_allowed:
                raise metadata.forbidden("REST Query (SuiteQL)")
            return run_suiteql(request, self.store, config.require_prefer_transient)
        if request.path.startswith(PREFIX):  # an unknown record type: its own 404
            return handle_record(request, self.store, config, self.stop_event)
        raise ApiError(404, "NONEXISTENT_ID", "The requested resource does not exist.")

    # --- control (Python API and /__sim/) -----------------------------------------------------

    def stats(self) -> dict[str, Any]:
        limit, in_flight, max_in_flight, busy_seconds = self.governor.snapshot()
        out = self.counters.snapshot()
        out.update(concurrency_limit=limit, in_flight=in_flight, max_in_flight=max_in_flight)
        out["busy_seconds"] = round(busy_seconds, 6)
        out["records"] = self.store.counts()
        return out

    def records(self, record_type: str) -> list[dict[str, Any]]:
        canonical = {t.lower(): t for t in RECORD_TYPES}.get(record_type.lower())
        if canonical is None:
            raise ValueError(f"unknown record type {record_type!r}; known: {', '.join(RECORD_TYPES)}")
        return self.store.all(canonical)

    def set_faults(self, faults: Faults) -> None:
        self.injector.set(faults)

    def reset(self) -> None:
        """Seed records only, counters zero, the configured faults, the RNG and nonces from scratch."""
        self.store = self._seeded_store()
        self.counters.reset()
        self.governor.reset_peak()
        self.injector.set(self.config.faults)
        self.injector.reseed()
        self.verifier.nonces.clear()

    def add_items(self, items: list[dict[str, Any]]) -> dict[str, str]:
        return self._add_items(self.store, items)

    @staticmethod
    def _add_items(store: RecordStore, items: list[dict[str, Any]]) -> dict[str, str]:
        """Create items (idempotent by `itemId`); returns {itemId: internal id}."""
        ids: dict[str, str] = {}
        with store.lock:
            for raw in items:
                item = dict(raw)
                record_type: str = item.pop("type", "inventoryItem")
                name = item.get("itemId")
                if record_type not in ITEM_TYPES or not isinstance(name, str) or not name:
                    raise ValueError(f"an item needs a type in {ITEM_TYPES} and an itemId: {raw!r}")
                existing = store.item_id(name)
                ids[name] = existing if existing is not None else store.save(record_type, item)
        return ids

    def item_id(self, name: str) -> str:
        found = self.store.item_id(name)
        if found is None:
            raise KeyError(f"no item with itemId {name!r}")
        return found
