"""Operator commands of `python -m consumer`: redrive, replay (and, later, check, reconcile, audit).

Each command reads its own settings (Kafka only: an operator needs no NetSuite credentials to move
offsets or re-publish records), prints a readable summary or JSON lines, and returns the contract's
exit code: 0 done, 1 the check found problems, 2 bad arguments or settings, 3 refused.
"""
