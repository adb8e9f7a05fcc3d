"""The Postgres-backed job queue: imports, match runs and notification deliveries run here.

Owns the ``job`` table. Imports no domain but audit (whose sequencer the worker runs); domains register
handlers in their ``tasks`` module, which the worker imports by name.
Jobs sharing a ``queue_key`` run one at a time in id order (delivery order per subscription).
"""
