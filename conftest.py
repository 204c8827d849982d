"""Fixtures every app's tests share."""

import pytest

from core.tests.factories import make_tree


@pytest.fixture
def tree(db):
    return make_tree()
