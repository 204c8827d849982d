"""Whole-page cache for anonymous readers of CMS pages, invalidated the moment anything is published.

Readers on phones are mostly anonymous and read the same few pages (the portal, the news list,
today's articles). A page opts in by calling `mark_cacheable(request)` (CMS pages do it in
`serve`, the API endpoints in their view); the middleware stores the rendered response for
anonymous GETs and replays it to the next anonymous reader without touching the page tree.

Correctness:
- Every cache key carries the current *generation*, a counter in the database that each publish,
  unpublish, move or delete of a page and each change of an announcement or category bumps
  (after commit). A bump orphans every cached page at once, whatever the cache backend: in the
  publishing process immediately, in other worker processes within GENERATION_RECHECK seconds (each
  process reads the counter at most that often, so a cache hit touches no database at all; with
  SQLite a connection per request costs several milliseconds).
- Announcements have start and end times: a cached page lives no longer than the next such
  boundary, so a banner appears and disappears on time.
- Site search also shows other apps' content (courses, forum) that has no generation of its own:
  its pages are kept for SEARCH_CACHE_SECONDS only, so a new forum post is findable within seconds.
- The live-now strip has no publish event of its own: the streaming app calls
  `page_cache_invalidate()` when an event starts or ends; the short TTL bounds anything missed.
- Pages carry a CSRF token (the language switch is a POST form). The stored copy holds a
  placeholder that each reply fills with that reader's own token, so readers never share one.
- Nothing is stored when the view set a cookie, for a signed-in user, or for a request with
  pending flash messages; only query strings the page declares are cached (no cache busting).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

GENERATION_NAME = "pages"
GENERATION_RECHECK = 1.0
_memo: tuple[float, int] = (0.0, 0)  # (read at, value) of this process
SEARCH_CACHE_SECONDS = 10
CSRF_PLACEHOLDER = b"__cms_csrf_token_placeholder__"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([^"]+)(")')
_KEPT_HEADERS = ("Content-Type", "X-Frame-Options", "Content-Language", "X-Content-Type-Options")


def cache_seconds() -> int:
    return int(settings.CMS_PAGE_CACHE_SECONDS)


def mark_cacheable(
    request: HttpRequest, *, allowed_params: frozenset[str] | set[str] = frozenset(), seconds: int | None = None
) -> None:
    """Let the middleware store this response if the query string has only `allowed_params`,
    for at most `seconds` (default: CMS_PAGE_CACHE_SECONDS)."""
    if set(request.GET) <= set(allowed_params):
        request.cms_cacheable = True
        request.cms_cache_seconds = seconds


def _read_generation() -> int:
    from cms.models import PageCacheGeneration

    value = PageCacheGeneration.objects.filter(name=GENERATION_NAME).values_list("value", flat=True).first()
    return value or 0


def current_generation() -> int:
    global _memo
    read_at, value = _memo
    now = time.monotonic()
    if now - read_at >= GENERATION_RECHECK:
        value = _read_generation()
        _memo = (now, value)
    return value


def forget_generation() -> None:
    """Make the next request read the counter (tests roll it back behind this process's back)."""
    global _memo
    _memo = (0.0, 0)


def page_cache_invalidate() -> None:
    """Orphan every cached page, once the current transaction commits (public: streaming uses it)."""

    def bump() -> None:
        global _memo
        from cms.models import PageCacheGeneration

        updated = PageCacheGeneration.objects.filter(name=GENERATION_NAME).update(value=F("value") + 1)
        if not updated:
            PageCacheGeneration.objects.get_or_create(name=GENERATION_NAME, defaults={"value": 1})
        _memo = (time.monotonic(), _read_generation())  # this process sees its own publish at once

    transaction.on_commit(bump)


def _seconds_to_live() -> int:
    """The configured TTL, cut short at the next announcement start or end."""
    from cms.selectors import next_announcement_boundary

    seconds = cache_seconds()
    boundary = next_announcement_boundary()
    if boundary is not None:
        seconds = min(seconds, max(0, int((boundary - timezone.now()).total_seconds())))
    return seconds


def _is_anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _key(request: HttpRequest, generation: int) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"cms:page:{generation}:{get_language()}:{request.method}:{digest}"


class AnonymousPageCacheMiddleware:
    """Place after AuthenticationMiddleware and MessageMiddleware (it needs both) and after
    LocaleMiddleware (the key carries the language); inner middleware does not run on a hit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or cache_seconds() <= 0
            or "messages" in request.COOKIES
            or not _is_anonymous(request)
        ):
            return self.get_response(request)
        key = _key(request, current_generation())
        stored = cache.get(key)
        if stored is not None:
            return self._replay(request, stored)
        response = self.get_response(request)
        if (
            getattr(request, "cms_cacheable", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and _is_anonymous(request)
        ):
            seconds = _seconds_to_live()
            if getattr(request, "cms_cache_seconds", None) is not None:
                seconds = min(seconds, request.cms_cache_seconds)
            if seconds > 0:
                content = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\3", response.content)
                headers = {h: response[h] for h in _KEPT_HEADERS if h in response}
                cache.set(key, (content, headers), seconds)
        return response

    @staticmethod
    def _replay(request: HttpRequest, stored: tuple[bytes, dict[str, str]]) -> HttpResponse:
        content, headers = stored
        if CSRF_PLACEHOLDER in content:
            # get_token() also makes CsrfViewMiddleware set this reader's cookie on the way out.
            content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        response["X-Page-Cache"] = "hit"
        return response
