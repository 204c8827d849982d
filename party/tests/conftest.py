import pytest

from party.tests.factories import make_party_tree


@pytest.fixture
def orgs(tree):
    return make_party_tree(tree)
