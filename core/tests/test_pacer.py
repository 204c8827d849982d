"""The per-connection pacer: `count` at once, then one every window/count seconds, never refused."""

from core.ratelimit import Pacer


def test_a_burst_goes_at_once_then_is_spread_out_and_idle_time_refills():
    now = [100.0]
    pacer = Pacer(count=4, window=2, clock=lambda: now[0])
    assert [pacer.wait() for _ in range(4)] == [0, 0, 0, 0]
    # The next ones wait 0.5 s, 1 s, … behind each other (nobody holds them yet, so the waits add up).
    assert [pacer.wait() for _ in range(3)] == [0.5, 1.0, 1.5]
    now[0] += 10  # a quiet spell fills the bucket again, but never beyond `count`
    assert [pacer.wait() for _ in range(4)] == [0, 0, 0, 0]
    assert pacer.wait() == 0.5
