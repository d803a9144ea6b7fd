"""`python -m receiver`: the webhook receiver under gunicorn (see receiver/server.py).

With more than one worker, metrics use prometheus-client's multiprocess mode: an operator-given
`PROMETHEUS_MULTIPROC_DIR` is emptied at start, otherwise a private temporary directory is made and
removed at exit. It must be set before prometheus-client is imported, so imports come late here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path


def prepare_metrics_dir(workers: int) -> None:
    """Set up `PROMETHEUS_MULTIPROC_DIR` for several workers (before prometheus-client loads)."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before the metrics directory was set")
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # values of an earlier run would be merged in otherwise
            stale.unlink()
        return
    if workers <= 1:
        return
    made = tempfile.mkdtemp(prefix="woo-receiver-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    master = os.getpid()

    def _remove() -> None:
        if os.getpid() == master:  # forked workers inherit this hook: only the master cleans up
            shutil.rmtree(made, ignore_errors=True)

    atexit.register(_remove)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from common.env_check import warn_unknown_variables
    from common.logs import configure_logging
    from receiver.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(
        prog="python -m receiver",
        description="The WooCommerce webhook receiver under gunicorn: verifies each delivery's signature, "
        "publishes the order to Kafka and answers 200 once the broker acknowledged it. Every setting is "
        "an environment variable (README: the env table); WOOCOMMERCE_WEBHOOK_SECRET is required.",
        epilog="endpoints: POST /webhook/woocommerce/order-created|order-updated, GET /healthz, /readyz, "
        "/metrics (on RECEIVER_METRICS_PORT when set)",
    )
    parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    configure_logging(settings.receiver_log_level)
    warn_unknown_variables()
    prepare_metrics_dir(settings.receiver_workers)
    from receiver.server import receiver_server

    receiver_server(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
