import pytest

from cms.tests.factories import editorial_groups


@pytest.fixture
def groups(db):
    return editorial_groups()


@pytest.fixture
def page_cache(settings):
    """The anonymous page cache switched on (tests run with it off), starting empty."""
    from django.core.cache import cache

    from cms.cache import forget_generation

    settings.CMS_PAGE_CACHE_SECONDS = 60
    cache.clear()
    forget_generation()
    yield
    cache.clear()
    forget_generation()
