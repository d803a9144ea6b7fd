"""`python -m consumer audit`: does NetSuite hold exactly what WooCommerce says it should (see cli.py)."""
