"""A real Daphne process serves the site: pages, health, static files and the live socket."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support import (
    HTTP_TIMEOUT,
    WS_TIMEOUT,
    http_session,
    live_db,
    post_form,
    signed_in_session,
    ws_connect,
)

pytestmark = [pytest.mark.daphne, live_db]


def test_home_page_is_served_in_chinese(daphne):
    response = http_session().get(f"{daphne.url}/", timeout=HTTP_TIMEOUT)

    assert response.status_code == 200, f"GET / → {response.status_code}{daphne.diagnostics()}"
    assert response.headers["Content-Type"].startswith("text/html")
    assert "登录" in response.text  # the header's sign-in link, in the default language


def test_healthz_reports_every_part_ok(daphne):
    response = http_session().get(f"{daphne.url}/healthz", timeout=HTTP_TIMEOUT)

    report = response.json()
    assert response.status_code == 200 and report["ok"] is True, f"{report}{daphne.diagnostics()}"
    assert {"database", "cache", "channel_layer", "push", "tasks", "ffmpeg"} <= set(report["checks"])
    # The server talks to the same kind of database as this test run.
    assert report["checks"]["database"]["vendor"] == connection.vendor


def test_static_css_is_served_without_collectstatic(daphne):
    response = http_session().get(f"{daphne.url}/static/core/css/site.css", timeout=HTTP_TIMEOUT)

    assert response.status_code == 200, f"site.css → {response.status_code}{daphne.diagnostics()}"
    assert response.headers["Content-Type"].startswith("text/css")
    assert ".tiles" in response.text


def test_anonymous_socket_is_closed_with_4401(daphne):
    with ws_connect(daphne) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=WS_TIMEOUT)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401, daphne.diagnostics()


def test_signed_in_socket_says_hello_answers_ping_and_rejects_bad_json(daphne, people):
    session = signed_in_session(daphne, people.member.username, people.password)

    with ws_connect(daphne, sessionid=session.cookies["sessionid"]) as ws:
        assert json.loads(ws.recv(timeout=WS_TIMEOUT)) == {"type": "hello", "user": people.member.pk}
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=WS_TIMEOUT)) == {"type": "pong"}

        ws.send("{not json")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WS_TIMEOUT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, daphne.diagnostics()


def test_socket_from_a_foreign_origin_is_refused(daphne, people):
    # Signed in, so only the Origin check can stop it: another site's page must not be able
    # to open a socket with our visitor's cookie.
    session = signed_in_session(daphne, people.member.username, people.password)

    with (
        pytest.raises((InvalidStatus, ConnectionClosed)) as refused,
        ws_connect(daphne, sessionid=session.cookies["sessionid"], origin="http://evil.example") as ws,
    ):
        ws.recv(timeout=WS_TIMEOUT)  # a socket that got through must not even get a hello
    if isinstance(refused.value, InvalidStatus):
        assert refused.value.response.status_code == 403


def test_notice_posted_over_http_reaches_the_members_open_socket(daphne, people):
    member = signed_in_session(daphne, people.member.username, people.password)
    outsider = signed_in_session(daphne, people.outsider.username, people.password)
    staff = signed_in_session(daphne, people.town_staff.username, people.password)

    with (
        ws_connect(daphne, sessionid=member.cookies["sessionid"]) as member_ws,
        ws_connect(daphne, sessionid=outsider.cookies["sessionid"]) as outsider_ws,
    ):
        assert json.loads(member_ws.recv(timeout=WS_TIMEOUT))["type"] == "hello"
        assert json.loads(outsider_ws.recv(timeout=WS_TIMEOUT))["type"] == "hello"

        response = post_form(
            daphne, staff, "/notices/new/", {"area": people.town.pk, "title": "防汛演练通知", "body": "周六上午九点"}
        )
        assert response.status_code == 302, f"POST /notices/new/ → {response.status_code}{daphne.diagnostics()}"

        message = json.loads(member_ws.recv(timeout=WS_TIMEOUT))
        assert message["type"] == "notification"
        assert message["title"] == "防汛演练通知"
        assert message["unread"] == 1
        # The outsider's branch lies in another town: nothing for them.
        with pytest.raises(TimeoutError):
            outsider_ws.recv(timeout=1)
