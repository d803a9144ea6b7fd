"""Pieces both processes share: Kafka connection settings, logging and Kafka header names."""
