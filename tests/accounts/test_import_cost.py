"""Importing the accounts service (every CLI command does) makes no password hash."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import argon2
calls = []
original = argon2.PasswordHasher.hash
def counted(self, *args, **kwargs):
    calls.append(1)
    return original(self, *args, **kwargs)
argon2.PasswordHasher.hash = counted
import interop.accounts.service as accounts
print(len(calls))
accounts.prepare_sign_in()
accounts.prepare_sign_in()
print(len(calls))
"""


def test_importing_the_accounts_service_hashes_nothing_and_the_app_start_hashes_once() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1"]
