"""Errors of the matching domain."""

from __future__ import annotations

from interop.errors import Conflict, Invalid, NotFound


class MatchRunNotFound(NotFound):
    code = "match-run-not-found"


class ReviewNotFound(NotFound):
    code = "match-review-not-found"


class ReviewAlreadyDecided(Conflict):
    code = "match-review-decided"


class ReviewNotDecided(Conflict):
    code = "match-review-not-decided"


class TruthFileInvalid(Invalid):
    code = "truth-file-invalid"


class MatchRunUntrainable(Invalid):
    """The records give the model nothing to learn from (the message says why, in words): a
    deterministic failure, never retried."""

    code = "match-run-untrainable"
