"""The embedded stack for `make run` and the tests: tansu broker, NetSuite simulator, demo driver."""
