"""Splink's notes during training, kept out of the terminal and summarised once in the run's report.

On a small or tidy population some comparison levels never occur among the training pairs (nobody's CURP
differs by one edit); Splink then keeps those levels' default m (or u) and logs a multi-line ``WARNING``
per level and per EM pass. That is normal, not alarming: each note is caught here by its exact wording
(one filter per note, no blanket silencing of Splink). Which levels stayed untrained is read from the
trained model instead (``linkage.untrained_levels``) and named once in the match run's report.
"""

from __future__ import annotations

import logging
import re

# Splink's wording (splink/internals/expectation_maximisation.py).
_NOT_OBSERVED = re.compile(
    r"Level (?P<level>.+?) on comparison (?P<comparison>\S+) not observed in dataset, "
    r"unable to train (?P<which>[mu]) value"
)
# splink/internals/em_sampling.py: a blocking rule too sparse to sample; EM then runs on every pair.
_NO_SAMPLING = "[EM sampling] Probe returned zero blocked pairs; skipping sampling"


class _NotObservedFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _NOT_OBSERVED.search(record.getMessage()) is None


class _NoSamplingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _NO_SAMPLING


def install() -> None:
    """Attach the filters to the Splink loggers that emit these notes (idempotent)."""
    for name, cls in (
        ("splink.internals.expectation_maximisation", _NotObservedFilter),
        ("splink.internals.em_sampling", _NoSamplingFilter),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, cls) for f in logger.filters):
            logger.addFilter(cls())
