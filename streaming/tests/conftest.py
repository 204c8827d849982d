import pytest

from streaming.models import LiveEvent
from streaming.tests.factories import make_world


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def live_world(db):
    return make_world(state=LiveEvent.State.LIVE)
