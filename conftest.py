"""Fixtures every app's tests share."""

from collections.abc import Iterator

import pytest

from core.tests.factories import make_tree


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_modify_db_settings,
) -> Iterator[None]:
    """pytest-django's, except that each test database starts as a copy of a migrated template
    (tests/dbtemplate.py): one migration per change of the migrations, not one per test process."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests.dbtemplate import prepare_test_databases

    verbosity = request.config.option.verbose
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with django_db_blocker.unblock():
        if django_db_use_migrations:
            prepare_test_databases(aliases)
        else:
            _disable_migrations()
        db_cfg = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            keepdb=django_db_use_migrations,  # the copy is migrated: Django only checks it
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=verbosity)


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture(scope="module")
def demo_seeded(request, django_db_setup, django_db_blocker) -> Iterator[None]:
    """`seed_demo` at the test module's SCALE with the default demo password: the module works on its own
    copy of a seeded template database (tests/dbtemplate.py; the first module seeds it, once per state of
    the code), which is dropped after its last test. Each test still uses `db`, whose savepoint undoes
    what the test itself changed."""
    from tests.dbtemplate import demo_database

    with django_db_blocker.unblock(), demo_database(scale=request.module.SCALE):
        yield


@pytest.fixture(autouse=True)
def django_db_serialized_rollback() -> bool:
    """Every transactional test puts back the rows the migrations made. Its flush runs post_migrate,
    which makes machina's forum permissions again under new ids; a later test that restores the
    serialized rows would then collide with them (UNIQUE codename), depending on test order."""
    return True


# The faults suite's summary table (tests/faults/report.py): loaded here, in the root conftest, so that
# the process that prints the summary has it under xdist too.
pytest_plugins = ["tests.faults.report"]
