"""The webhook receiver: verified WooCommerce webhooks into Kafka (`python -m receiver`)."""
