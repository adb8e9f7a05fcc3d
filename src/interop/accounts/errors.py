"""Errors of the accounts domain. Messages are Spanish first and never name the person."""

from __future__ import annotations

from interop.errors import Conflict, Invalid, NotFound, Unauthenticated


class AccountInvalid(Invalid):
    code = "account-invalid"


class AccountExists(Conflict):
    code = "account-exists"


class AccountNotFound(NotFound):
    code = "account-not-found"


class SignInRefused(Unauthenticated):
    """Wrong name, password or code, a disabled or locked account: one message for all, so a stranger
    cannot tell which accounts exist."""

    code = "sign-in-refused"
