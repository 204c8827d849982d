"""Failed logins lock an account for a while, in every process that shares the cache.

The Daphne processes live for the whole run and keep their counters for the whole window,
so each test connects from its own loopback address (127.x.y.z) and uses fresh usernames:
its per-address and per-account counters start at zero.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.support import DaphneProcess, http_session, is_signed_in, live_db, login_attempt, random_loopback_ip

pytestmark = [pytest.mark.daphne, live_db]

THROTTLED = "登录失败次数过多"
INVALID = "用户名/手机号或密码不正确"


def fail_logins(servers: list[DaphneProcess], username: str, times: int, source_ip: str) -> None:
    """`times` wrong passwords for `username`, spread over `servers` in turn: each refused as wrong
    until the last, which reaches the limit and is answered with the lock."""
    for attempt in range(times - 1):
        server = servers[attempt % len(servers)]
        response = login_attempt(server, http_session(source_ip), username, "wrong-password-1")
        assert response.status_code == 200, f"attempt {attempt + 1}: {response.status_code}{server.diagnostics()}"
        # Until the limit is reached the answer is "wrong password", not "throttled".
        assert INVALID in response.text and THROTTLED not in response.text, f"attempt {attempt + 1} on {server.name}"
    server = servers[(times - 1) % len(servers)]
    response = login_attempt(server, http_session(source_ip), username, "wrong-password-1")
    assert response.status_code == 429 and THROTTLED in response.text, server.diagnostics()


def assert_throttled(server: DaphneProcess, username: str, password: str, source_ip: str) -> None:
    session = http_session(source_ip)
    response = login_attempt(server, session, username, password)
    assert response.status_code == 429, f"the correct password got in after too many failures on {server.name}"
    assert THROTTLED in response.text, server.diagnostics()
    assert not is_signed_in(server, session)


def assert_logs_in(server: DaphneProcess, username: str, password: str, source_ip: str) -> None:
    session = http_session(source_ip)
    response = login_attempt(server, session, username, password)
    assert response.status_code == 302, f"{username} could not log in on {server.name}{server.diagnostics()}"
    assert is_signed_in(server, session)


def test_account_is_locked_after_the_failure_limit(daphne, people):
    source_ip = random_loopback_ip()
    target, other = people.member, people.outsider

    fail_logins([daphne], target.username, settings.AXES_FAILURE_LIMIT, source_ip)

    assert_throttled(daphne, target.username, people.password, source_ip)
    # Only that account: another member on the same network still gets in.
    assert_logs_in(daphne, other.username, people.password, source_ip)


@pytest.mark.redis
def test_lock_is_shared_between_processes_through_redis(daphne_pair, people):
    a, b = daphne_pair
    source_ip = random_loopback_ip()
    target, other = people.member, people.outsider

    # Alternate between the processes: neither alone sees the limit, only the shared count does.
    fail_logins([a, b], target.username, settings.AXES_FAILURE_LIMIT, source_ip)

    assert_throttled(a, target.username, people.password, source_ip)
    assert_throttled(b, target.username, people.password, source_ip)
    assert_logs_in(b, other.username, people.password, source_ip)
