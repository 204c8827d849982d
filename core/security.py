"""Response headers and gates that hold on every page: the proxy's headers believed from trusted
proxies only, the Content-Security-Policy (with the one looser scope Wagtail's admin needs),
`Cache-Control: no-store` on signed-in pages, the public part of /media/ in DEBUG, and the WebSocket
Origin check."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import validate_host
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.static import serve

from core.client_address import peer_is_trusted_proxy

# --- The proxy's headers ----------------------------------------------------------------------------

# Headers only a reverse proxy may write. Django reads X-Forwarded-Host/-Port only when
# USE_X_FORWARDED_HOST/_PORT are on (they are not), but a direct client's copies are dropped anyway.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")


class TrustedProxyHeadersMiddleware:
    """The scheme header (SECURE_PROXY_SSL_HEADER, X-Forwarded-Proto) counts only from TRUSTED_PROXIES.

    Django believes SECURE_PROXY_SSL_HEADER from whoever connects: a client reaching gunicorn or
    Daphne directly could say `X-Forwarded-Proto: https` over plain HTTP, skip the https redirect and
    be handed the `Secure` cookies over a clear connection. First in the stack, before
    SecurityMiddleware or anything that asks `request.is_secure()`, this removes the header unless the
    peer is a trusted proxy, the same rule as X-Forwarded-For (core/client_address.py). From a trusted
    proxy that appends rather than overwrites (`X-Forwarded-Proto: <the client's>, https`), only the
    last value, the one the proxy itself wrote, is kept: Django would otherwise read the first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = settings.SECURE_PROXY_SSL_HEADER[0] if settings.SECURE_PROXY_SSL_HEADER else None
        names = (header, *FORWARDED_HEADERS) if header else FORWARDED_HEADERS
        meta = request.META
        if any(name in meta for name in names):
            if not peer_is_trusted_proxy(meta.get("REMOTE_ADDR")):
                for name in names:
                    meta.pop(name, None)
            elif header and "," in meta.get(header, ""):
                meta[header] = meta[header].rsplit(",", 1)[1].strip()
        return self.get_response(request)


# --- Content-Security-Policy ----------------------------------------------------------------------


class SitePolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with CONTENT_SECURITY_POLICY everywhere, loosened under WAGTAIL_ADMIN_CSP_PREFIX.

    Wagtail 8's admin still renders inline <script> (inline panels, date pickers, workflow and
    search-promotion forms) and inline <style>, and frames its own previews; without 'unsafe-inline'
    there, editing pages breaks. Only signed-in editors reach those pages, and their content is
    Wagtail's own templates, so the looser policy is confined to that prefix.
    """

    def get_policy_parts(self, request: HttpRequest, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(settings.WAGTAIL_ADMIN_CSP_PREFIX):
            parts.update = {**(parts.update or {}), **settings.WAGTAIL_ADMIN_CSP_UPDATE}
            parts.replace = {**(parts.replace or {}), **settings.WAGTAIL_ADMIN_CSP_REPLACE}
        return parts


# --- Cache-Control ------------------------------------------------------------------------------------


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in person that does not set its own.

    Pages for a signed-in person show their name and, depending on the role, residents, members'
    records, reports or learning records; a shared phone's or a proxy's cache must keep none of it.
    Keyed on the sign-in rather than a list of views, so new personal pages are covered by default.
    Responses that chose their caching (signed media segments, feeds) keep their own header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


# --- /media/ in DEBUG -----------------------------------------------------------------------------------


def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """With DEBUG on, the media anyone may fetch by address (PUBLIC_MEDIA_PREFIXES: Wagtail images,
    forum avatars). Everything else under MEDIA_ROOT (lesson packages, originals, check-in and report
    photos, documents, live video) is reached only through its own view and access check."""
    if not settings.DEBUG or ".." in path.split("/") or not path.startswith(tuple(settings.PUBLIC_MEDIA_PREFIXES)):
        raise Http404
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


# --- WebSocket Origin ------------------------------------------------------------------------------------

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_allowed(scope) -> bool:
    """A page of this very site opened the socket: the Origin's host and port are the socket's own
    Host (an allowed host), or the Origin is one of CSRF_TRUSTED_ORIGINS. Another site on the same
    host name but another port (a second service on the machine) is refused, unlike Channels'
    AllowedHostsOriginValidator, which compares host names only."""
    headers = dict(scope.get("headers") or [])
    try:
        origin = headers[b"origin"].decode("latin-1").strip()
        host = headers[b"host"].decode("latin-1").strip()
    except (KeyError, UnicodeDecodeError):
        return False
    if origin.lower() in (trusted.lower() for trusted in settings.CSRF_TRUSTED_ORIGINS):
        return True
    parsed, own = urlsplit(origin), urlsplit(f"//{host}")
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname or not own.hostname:
        return False
    try:
        origin_port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        own_port = own.port or DEFAULT_PORTS[parsed.scheme]
    except ValueError:
        return False
    allowed_hosts = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    name = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname  # IPv6 as ALLOWED_HOSTS spells it
    return parsed.hostname == own.hostname and origin_port == own_port and validate_host(name, allowed_hosts)


class SameOriginValidator:
    """ASGI middleware for the websocket router: sockets from other origins are denied (403)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
