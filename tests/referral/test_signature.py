"""Notification signatures (Standard Webhooks): the published test vector, and what fails verification."""

from __future__ import annotations

import pytest

from interop.referral import signature

# The example of the Standard Webhooks specification (spec/standard-webhooks.md, "Signature scheme").
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_example() -> None:
    assert (
        signature.sign(SPEC_SECRET, message_id=SPEC_ID, timestamp=SPEC_TS, body=SPEC_BODY) == SPEC_SIGNATURE
    )
    headers = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TS), "webhook-signature": SPEC_SIGNATURE}
    assert signature.verify(SPEC_SECRET, headers=headers, body=SPEC_BODY, now=SPEC_TS + 10)
    assert not signature.verify(SPEC_SECRET, headers=headers, body=SPEC_BODY, now=SPEC_TS + 301)


def test_new_secrets_are_distinct_and_valid() -> None:
    a, b = signature.new_secret(), signature.new_secret()
    assert a != b
    assert len(signature.key_of(a)) == 32


@pytest.mark.parametrize("bad", ["", "hunter2", "whsec_", "whsec_not base64!", "whsec_" + "QUJD" * 2])
def test_bad_secrets(bad: str) -> None:
    with pytest.raises(signature.BadSecret):
        signature.key_of(bad)
