"""The token bucket (pure): burst, refill, per-key independence, Retry-After, off switch."""

from __future__ import annotations

from interop.auth.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)  # one per second, burst of 60
    assert all(limiter.take("a") is None for _ in range(60))
    assert limiter.take("a") == 1
    assert limiter.take("b") is None
    clock.now += 1.0
    assert limiter.take("a") is None
    assert limiter.take("a") == 1


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock)  # one per 10 s
    assert all(limiter.take("a") is None for _ in range(6))
    assert limiter.take("a") == 10
    clock.now += 4.5
    assert limiter.take("a") == 6


def test_zero_turns_limiting_off() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.take("a") is None for _ in range(10_000))
