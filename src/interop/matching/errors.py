"""Errors of the matching domain."""

from __future__ import annotations

from interop.errors import Conflict, Invalid, NotFound


class MatchRunNotFound(NotFound):
    code = "match-run-not-found"


class ReviewNotFound(NotFound):
    code = "match-review-not-found"


class ReviewAlreadyDecided(Conflict):
    code = "match-review-decided"


class TruthFileInvalid(Invalid):
    code = "truth-file-invalid"
