"""The WooCommerce REST API, as reconcile and audit read it."""
