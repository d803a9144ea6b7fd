"""A faithful WooCommerce simulator: the REST API reconciliation and audit read (orders with paging,
`modified_after` and the site-timezone trap, key authentication, the webhooks list) and webhook
deliveries as WooCommerce makes them (asynchronous, coalesced, never retried, disabled after failures).
See shared/reference/woocommerce.md and each module's docstring for the sources.
"""

from devstack.woo_sim.config import Faults, WebhookConfig, WooSimConfig
from devstack.woo_sim.server import WooSimulator

__all__ = ["Faults", "WebhookConfig", "WooSimConfig", "WooSimulator"]
