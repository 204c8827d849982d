"""Fixtures of the cloud classroom's tests: a private media root, real clips, a course tree."""

from __future__ import annotations

import pytest

from core.ffmpeg import ffmpeg_binary
from learning.tests.factories import CourseWorld, make_world


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_ffmpeg_lookup():
    """Tests may point FFMPEG_BINARY elsewhere; the lookup is cached per process."""
    ffmpeg_binary.cache_clear()
    yield
    ffmpeg_binary.cache_clear()


@pytest.fixture
def world(db, media_root) -> CourseWorld:
    return make_world()
