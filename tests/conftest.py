"""Fixtures of the cross-process suites: Daphne processes on the test database, people to sign in.

The Daphne fixtures live for the whole session (start-up is mostly importing Django), so
each test makes its own rows under `transactional_db`: they are committed, visible to the
subprocesses, and flushed afterwards. Tests that use these servers are marked `live_db`
(transactional with serialized rollback): the flush would otherwise also remove the rows
the migrations made (the Wagtail home page and its Site), and a long-lived Daphne would
then serve a different database from one test to the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.models import Area, User
from core.services.orgs import membership_grant
from core.tests.factories import DEFAULT_PASSWORD, Role, UserFactory, make_party_org, make_tree
from tests.support import (
    RUN_CHANNEL_PREFIX,
    TEST_REDIS_URL,
    DaphneProcess,
    redis_unreachable_reason,
    running_daphnes,
    subprocess_database_url,
    subprocess_env,
    unique_name,
)


@pytest.fixture(scope="session")
def live_database_url(django_db_setup) -> str:
    """DATABASE_URL of the test database, for subprocesses."""
    return subprocess_database_url()


@pytest.fixture(scope="session")
def daphne(live_database_url: str) -> Iterator[DaphneProcess]:
    """One Daphne on the test database, with the run's REDIS_URL if it has one (else in-memory)."""
    env = subprocess_env(
        DATABASE_URL=live_database_url, REDIS_URL=os.environ.get("REDIS_URL") or None, CHANNEL_PREFIX=RUN_CHANNEL_PREFIX
    )
    with running_daphnes(("daphne", env)) as (server,):
        yield server


@pytest.fixture(scope="session")
def redis_url() -> str:
    """TEST_REDIS_URL if Redis answers there; skipped otherwise, but failed on CI, which runs Redis."""
    reason = redis_unreachable_reason(TEST_REDIS_URL)
    if reason and os.environ.get("CI"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def daphne_pair(live_database_url: str, redis_url: str) -> Iterator[tuple[DaphneProcess, DaphneProcess]]:
    """Two Daphne processes sharing Redis as channel layer and cache, as in a scaled deployment."""
    env = subprocess_env(DATABASE_URL=live_database_url, REDIS_URL=redis_url, CHANNEL_PREFIX=RUN_CHANNEL_PREFIX)
    with running_daphnes(("daphne-A", env), ("daphne-B", dict(env))) as (a, b):
        yield a, b


@dataclass
class People:
    """A member of a branch in `town`, an official of `town`, and a member of a branch elsewhere."""

    town: Area
    member: User
    town_staff: User
    outsider: User
    password: str = DEFAULT_PASSWORD


def make_person(role: str, prefix: str = "u", **scope) -> User:
    user = UserFactory(username=unique_name(prefix))
    membership_grant(user=user, role=role, **scope)
    return user


@pytest.fixture
def people(transactional_db) -> People:
    tree = make_tree()
    branch = make_party_org(area=tree["village_a"], name="甲村党支部")
    return People(
        town=tree["town_a"],
        member=make_person(Role.MEMBER, "member", party_org=branch),
        town_staff=make_person(Role.TOWN_STAFF, "staff", area=tree["town_a"]),
        outsider=make_person(Role.MEMBER, "outsider", party_org=make_party_org(area=tree["village_b"])),
    )
