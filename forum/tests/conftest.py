import pytest

from forum.tests.factories import make_qa


@pytest.fixture
def qa(tree):
    return make_qa(tree)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    # Posting limits live in the cache; each test starts from a clean count.
    from django.core.cache import cache

    cache.clear()
    settings.FORUM_POST_RATE_LIMITS = ((50, 60), (500, 3600))
