"""Chinese first: the UI is Simplified Chinese unless the person chose English on the site."""

from __future__ import annotations

import logging

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language.

    Shared phones and venue big screens often run English-language browsers; their users still
    expect the Chinese UI. Only an explicit choice (the language cookie set by /i18n/setlang/)
    switches the language.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = settings.LANGUAGE_CODE
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SiteErrorPagesInDebugMiddleware:
    """With DEBUG on and SITE_ERROR_PAGES_IN_DEBUG set (as `manage.py serve` does for `make run`), answer
    errors with the site's own 404/403/400/500 pages instead of Django's English debug pages.

    Without DEBUG, Django's handlers already render our templates; this only covers the debug case.
    A server error is still logged with its traceback (django.request), so the developer loses nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (settings.DEBUG and settings.SITE_ERROR_PAGES_IN_DEBUG):
            return None
        from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
        from django.http import Http404
        from django.views import defaults

        from core.views import server_error

        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return defaults.permission_denied(request, exception)
        if isinstance(exception, (BadRequest, SuspiciousOperation)):
            return defaults.bad_request(request, exception)
        logger = logging.getLogger("django.request")
        extra = {"status_code": 500, "request": request}
        logger.error("Internal Server Error: %s", request.path, exc_info=exception, extra=extra)
        return server_error(request)
