"""Operator commands of `python -m consumer`: redrive and replay (reconcile and audit have packages of
their own, consumer/reconcile and consumer/audit; check is later work).

Each command reads its own settings (Kafka only: an operator needs no NetSuite credentials to move
offsets or re-publish records), prints a readable summary or JSON lines, and returns the contract's
exit code: 0 done, 1 the check found problems, 2 bad arguments or settings, 3 refused.
"""
