"""Two Daphne processes behind one Redis: a notice posted on one reaches a socket on the other."""

from __future__ import annotations

import json

import pytest

from tests.support import WS_TIMEOUT, live_db, post_form, signed_in_session, ws_connect

pytestmark = [pytest.mark.daphne, pytest.mark.redis, live_db]


def test_notice_posted_on_one_process_reaches_a_socket_on_the_other(daphne_pair, people):
    a, b = daphne_pair
    # Sessions live in the database, so a sign-in on A is good on B too.
    member = signed_in_session(a, people.member.username, people.password)
    staff = signed_in_session(a, people.town_staff.username, people.password)

    with ws_connect(b, sessionid=member.cookies["sessionid"]) as member_ws:
        hello = json.loads(member_ws.recv(timeout=WS_TIMEOUT))
        assert hello == {"type": "hello", "user": people.member.pk}, b.diagnostics()

        response = post_form(a, staff, "/notices/new/", {"area": people.town.pk, "title": "跨进程通知", "body": "测试"})
        assert response.status_code == 302, f"POST /notices/new/ → {response.status_code}{a.diagnostics()}"

        try:
            message = json.loads(member_ws.recv(timeout=WS_TIMEOUT))
        except TimeoutError:
            pytest.fail(
                f"no notification reached the socket on B within {WS_TIMEOUT} s{a.diagnostics()}{b.diagnostics()}"
            )
    assert message["type"] == "notification"
    assert message["title"] == "跨进程通知"
    assert message["unread"] == 1
