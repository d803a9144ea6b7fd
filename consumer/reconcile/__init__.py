"""`python -m consumer reconcile`: recover every order WooCommerce never delivered (see reconciler.py)."""
