"""One sign-in throttle at every door: per account (username and mobile together) and per client
address, never for everybody, told in Chinese when to retry; addresses come from core.client_address.

Every test uses its own addresses and accounts: counters live in the cache, which outlives a test.
"""

from __future__ import annotations

import ipaddress
import itertools
import random

import pytest

from core.tests.factories import DEFAULT_PASSWORD, UserFactory

THROTTLED = "登录失败次数过多"
INVALID = "用户名/手机号或密码不正确"
DOORS = ["/accounts/login/", "/admin/login/", "/django-admin/login/"]
_serial = itertools.count(random.randint(1, 10**6))


def fresh_address() -> str:
    # One address per call: 10.0.0.0/8 counted upwards (the serial starts at 1, so never 10.0.0.0).
    return str(ipaddress.IPv4Address(0x0A000000 + next(_serial)))


def fresh_user(**kwargs):
    n = next(_serial)
    return UserFactory(username=f"throttle{n}", mobile=f"139{n:08d}"[-11:], **kwargs)


def attempt(client, door: str, login: str, password: str, address: str, **headers):
    return client.post(door, {"username": login, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 3
    return 3


@pytest.mark.parametrize("door", DOORS)
def test_every_door_locks_the_account_and_says_when_to_retry(client, db, limit, door):
    user = fresh_user(is_staff=True, is_superuser=True)
    address = fresh_address()
    for _ in range(limit - 1):
        refused = attempt(client, door, user.username, "guess-1", address)
        assert refused.status_code == 200 and THROTTLED not in refused.content.decode()
    locked = attempt(client, door, user.username, "guess-1", address)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert THROTTLED in html and "15 分钟后再试" in html  # LOGIN_FAILURE_WINDOW = 900 s
    # The right password no longer gets in, from any address …
    assert attempt(client, door, user.username, DEFAULT_PASSWORD, fresh_address()).status_code == 429
    # … but nobody else is locked out: another account on the same network signs in.
    other = fresh_user(is_staff=True, is_superuser=True)
    assert signed_in(attempt(client, door, other.username, DEFAULT_PASSWORD, address))


def test_the_doors_share_one_count(client, db, limit):
    user = fresh_user(is_staff=True, is_superuser=True)
    address = fresh_address()
    for door in DOORS[:limit]:
        attempt(client, door, user.username, "guess-1", address)
    assert attempt(client, "/accounts/login/", user.username, DEFAULT_PASSWORD, fresh_address()).status_code == 429


def test_username_and_mobile_are_one_account(client, db, limit):
    user = fresh_user()
    address = fresh_address()
    for login in itertools.islice(itertools.cycle([user.username, user.mobile]), limit):
        attempt(client, "/accounts/login/", login, "guess-1", address)
    for login in (user.username, user.mobile):
        assert attempt(client, "/accounts/login/", login, DEFAULT_PASSWORD, fresh_address()).status_code == 429


def test_success_clears_the_account_count(client, db, limit):
    user = fresh_user()
    address = fresh_address()
    for _ in range(limit - 1):
        attempt(client, "/accounts/login/", user.username, "guess-1", address)
    assert signed_in(attempt(client, "/accounts/login/", user.username, DEFAULT_PASSWORD, address))
    client.logout()
    for _ in range(limit - 1):
        refused = attempt(client, "/accounts/login/", user.username, "guess-1", address)
        assert INVALID in refused.content.decode()


def test_an_address_gets_a_larger_allowance_then_is_locked_alone(client, db, limit, settings):
    allowance = limit * settings.SIGNIN_ADDRESS_FAILURE_FACTOR
    address = fresh_address()
    for n in range(allowance - 1):  # many accounts, one guess each: no account reaches its limit
        refused = attempt(client, "/accounts/login/", f"nobody-{next(_serial)}-{n}", "guess-1", address)
        assert refused.status_code == 200, n
    assert attempt(client, "/accounts/login/", f"nobody-{next(_serial)}", "guess-1", address).status_code == 429
    user = fresh_user()
    assert attempt(client, "/accounts/login/", user.username, DEFAULT_PASSWORD, address).status_code == 429
    # Only that address: the same member elsewhere still gets in.
    assert signed_in(attempt(client, "/accounts/login/", user.username, DEFAULT_PASSWORD, fresh_address()))


def test_a_forged_forwarded_header_does_not_reset_the_address_count(client, db, limit, settings):
    settings.SIGNIN_ADDRESS_FAILURE_FACTOR = 1
    address = fresh_address()
    for n in range(limit):
        attempt(
            client,
            "/accounts/login/",
            f"nobody-{next(_serial)}",
            "guess-1",
            address,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}",
        )
    user = fresh_user()
    response = attempt(
        client, "/accounts/login/", user.username, DEFAULT_PASSWORD, address, HTTP_X_FORWARDED_FOR="203.0.113.200"
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_count(client, db, limit, settings):
    """Behind the proxy every request has the proxy's address; one lockout must not lock out everybody."""
    settings.SIGNIN_ADDRESS_FAILURE_FACTOR = 1
    proxy = fresh_address()
    settings.TRUSTED_PROXIES = [proxy]
    attacker, member = fresh_address(), fresh_address()
    for _ in range(limit):
        attempt(client, "/accounts/login/", f"nobody-{next(_serial)}", "guess-1", proxy, HTTP_X_FORWARDED_FOR=attacker)
    user = fresh_user()
    assert (
        attempt(
            client, "/accounts/login/", user.username, DEFAULT_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=attacker
        ).status_code
        == 429
    )
    assert signed_in(
        attempt(client, "/accounts/login/", user.username, DEFAULT_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=member)
    )
