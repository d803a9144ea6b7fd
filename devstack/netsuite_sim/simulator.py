"""`NetSuiteSimulator`: start a simulated NetSuite account on a free port and control it from Python.

The production client must not know it talks to a simulator: only `base_url` differs, and the
credentials in `credentials()` are what the consumer reads from its environment.
"""

from __future__ import annotations

import json
import threading
from types import TracebackType
from typing import Any

from devstack.netsuite_sim.app import SimulatorApp
from devstack.netsuite_sim.config import Faults, SimulatorConfig
from devstack.netsuite_sim.fulfilment import fulfil
from devstack.netsuite_sim.handler import SimServer

DEMO_BANK_ACCOUNT_ID = "1"  # "Checking" in a new account's chart of accounts
SPECIAL_ITEMS = {
    "SHIPPING": "NETSUITE_SHIPPING_ITEM_ID",
    "DISCOUNT": "NETSUITE_DISCOUNT_ITEM_ID",
    "FEE": "NETSUITE_FEE_ITEM_ID",
    "TAX": "NETSUITE_TAX_ITEM_ID",
    "ROUNDING": "NETSUITE_ROUNDING_ITEM_ID",
    "REFUND": "NETSUITE_REFUND_ITEM_ID",
}


class NetSuiteSimulator:
    """`sim = NetSuiteSimulator(config).start()` ... `sim.stop()`, or `with NetSuiteSimulator() as sim:`."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self._app = SimulatorApp(self.config)
        self._server: SimServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> NetSuiteSimulator:
        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._app.stop_event.clear()
        self._server = SimServer((self.config.host, self.config.port), self._app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="netsuite-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        self._app.stop_event.set()  # wake requests sleeping in latency or hangs
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> NetSuiteSimulator:
        return self if self._server is not None else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- where and who --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`; the client appends `/services/rest/...`."""
        return f"http://{self.config.host}:{self.port}"

    def credentials(self) -> dict[str, str]:
        """The consumer's environment variables pointing at this simulator."""
        cfg = self.config
        return {
            "NETSUITE_ACCOUNT_ID": cfg.account_id,
            "NETSUITE_CONSUMER_KEY": cfg.consumer_key,
            "NETSUITE_CONSUMER_SECRET": cfg.consumer_secret,
            "NETSUITE_TOKEN_ID": cfg.token_id,
            "NETSUITE_TOKEN_SECRET": cfg.token_secret,
            "NETSUITE_BASE_URL": self.base_url,
            "NETSUITE_ALLOW_HTTP": "true",  # plain http: needed only when it listens beyond loopback
        }

    def env(self) -> dict[str, str]:
        """`credentials()` plus NETSUITE_SHIPPING/DISCOUNT/FEE/TAX/ROUNDING/REFUND_ITEM_ID for the seeded
        items, a NETSUITE_TAX_CODE_MAP whose default is the account's first nexus code, and the bank
        account refunds are paid from (the simulator checks an account reference's shape only)."""
        out = self.credentials()
        out.update(self.special_item_ids())
        out["NETSUITE_REFUND_ACCOUNT_ID"] = DEMO_BANK_ACCOUNT_ID
        default = next((c.id for c in self.config.tax_codes if c.country and not c.inactive), None)
        if default is not None:
            out["NETSUITE_TAX_CODE_MAP"] = json.dumps({"default": default})
        return out

    def special_item_ids(self) -> dict[str, str]:
        """{NETSUITE_SHIPPING_ITEM_ID: id, ...} for those of SHIPPING/DISCOUNT/FEE/TAX/ROUNDING that exist."""
        out: dict[str, str] = {}
        for name, variable in SPECIAL_ITEMS.items():
            found = self._app.store.item_id(name)
            if found is not None:
                out[variable] = found
        return out

    # --- state and control ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """requests, connections, by_status {int: n}, throttled, auth_failures, in_flight,
        max_in_flight, concurrency_limit, injected_* counts, records {type: n}, busy_seconds (how long
        admitted requests held their slots, summed)."""
        return self._app.stats()

    def records(self, record_type: str) -> list[dict[str, Any]]:
        """Copies of every record of a type, item lines included (`record["item"]["items"]`)."""
        return self._app.records(record_type)

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults in force (counters like `throttle_next_n` restart)."""
        self._app.set_faults(faults)

    @property
    def faults(self) -> Faults:
        return self._app.injector.faults

    def reset(self) -> None:
        """Back to the seed items, zero counters, the configured faults, a fresh RNG and nonces."""
        self._app.reset()

    def add_items(self, items: list[dict[str, Any]]) -> dict[str, str]:
        """Create items ({"type": "inventoryItem", "itemId": "SKU-1", ...}); returns {itemId: id}."""
        return self._app.add_items(items)

    def fulfil(self, external_id: str, *, billed: bool = False) -> None:
        """Fulfil (and bill) every line of a sales order, as the warehouse would (`fulfilment.py`)."""
        fulfil(self._app.store, external_id, billed=billed)

    def item_id(self, name: str) -> str:
        """Internal id of the item whose name/number (`itemId`) is `name`; KeyError if none."""
        return self._app.item_id(name)
