"""X-Forwarded-Proto counts only from a trusted proxy: a client that connects directly cannot claim
https (and so skip the https redirect and receive the Secure cookies over plain HTTP)."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings as django_settings

PAGE = "/accounts/login/"
CLIENT, PROXY = "203.0.113.7", "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    # What config.settings.prod sets, with one proxy in front.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = [PROXY]
    return settings


def test_the_header_is_checked_before_anything_asks_whether_a_request_is_https():
    assert django_settings.MIDDLEWARE[0] == "core.security.TrustedProxyHeadersMiddleware"


@pytest.mark.django_db
def test_a_direct_client_claiming_https_is_still_redirected(client, behind_proxy):
    response = client.get(PAGE, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{PAGE}"
    # Without any proxy configured, nobody's header counts.
    behind_proxy.TRUSTED_PROXIES = []
    assert client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https").status_code == 301


@pytest.mark.django_db
def test_the_trusted_proxys_https_is_believed(client, behind_proxy):
    response = client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    # Plain HTTP at the proxy is redirected as before.
    assert client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="http").status_code == 301
    assert client.get(PAGE, REMOTE_ADDR=PROXY).status_code == 301


@pytest.mark.django_db
def test_a_forged_header_passed_on_by_an_appending_proxy_counts_for_nothing(client, behind_proxy):
    # The client wrote "https" over plain HTTP; the proxy appended what it saw. Django alone would
    # read the first value.
    assert client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https, http").status_code == 301
    # The other way round, the proxy's own "https" is the one that counts.
    assert client.get(PAGE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="http,https").status_code == 200


async def asgi_status(peer: str, proto: str) -> int:
    """The status Django's ASGI handler (what Daphne runs) answers for a request from `peer`."""
    from django.core.handlers.asgi import ASGIHandler

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": PAGE, "raw_path": PAGE.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"x-forwarded-proto", proto.encode())],
        "client": (peer, 5555), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent = []
    inbox = asyncio.Queue()
    inbox.put_nowait({"type": "http.request", "body": b"", "more_body": False})

    async def receive():
        return await inbox.get()  # the body, then nothing: the client stays connected

    async def send(message):
        sent.append(message)

    await ASGIHandler()(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.mark.django_db(transaction=True)
async def test_the_same_rule_under_asgi(behind_proxy):
    # Daphne gives the peer as the scope's client; ASGIRequest makes it REMOTE_ADDR.
    assert await asgi_status(CLIENT, "https") == 301
    assert await asgi_status(PROXY, "https") == 200


def test_direct_clients_lose_the_other_forwarded_headers(rf, behind_proxy):
    from core.security import TrustedProxyHeadersMiddleware

    seen = {}

    def view(request):
        seen.update(request.META)
        return None

    middleware = TrustedProxyHeadersMiddleware(view)
    middleware(rf.get("/", REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_HOST="evil.example", HTTP_X_FORWARDED_PORT="443"))
    assert "HTTP_X_FORWARDED_HOST" not in seen and "HTTP_X_FORWARDED_PORT" not in seen
    middleware(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_HOST="dj.example.gov.cn"))
    assert seen["HTTP_X_FORWARDED_HOST"] == "dj.example.gov.cn"
