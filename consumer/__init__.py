"""The consumer-group member that writes WooCommerce orders to NetSuite exactly once."""
