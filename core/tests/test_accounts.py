"""Signing in with a username or mobile number, signing out, changing the password (throttling: tests/security)."""

import pytest
from django.urls import reverse

from core.models import Role
from core.tests.factories import DEFAULT_PASSWORD, UserFactory, make_user_with_role

LOGIN = "/accounts/login/"


@pytest.fixture
def member(db):
    return UserFactory(username="lihua", name="李华", mobile="13912345678")


@pytest.mark.parametrize("login", ["lihua", "13912345678", " 13912345678 "])
def test_login_with_username_or_mobile(client, member, login):
    response = client.post(LOGIN, {"username": login, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == member


def test_wrong_password_is_explained_in_chinese(client, member):
    response = client.post(LOGIN, {"username": "lihua", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名/手机号或密码不正确" in response.content.decode()


def test_login_page_is_chinese_by_default(client, db):
    html = client.get(LOGIN).content.decode()
    assert 'lang="zh-hans"' in html and "用户名或手机号" in html


def test_logout_requires_post_and_ends_session(client, member):
    client.force_login(member)
    assert client.get(reverse("core:logout")).status_code == 405
    assert client.post(reverse("core:logout")).status_code == 302
    assert not client.get("/").context["user"].is_authenticated


def test_password_change(client, member):
    client.force_login(member)
    bad = client.post(
        reverse("core:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert bad.status_code == 200 and "密码" in bad.content.decode()
    good = client.post(
        reverse("core:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": "Hong-Qi-2026x", "new_password2": "Hong-Qi-2026x"},
    )
    assert good.status_code == 302
    member.refresh_from_db()
    assert member.check_password("Hong-Qi-2026x")


def test_open_redirect_is_refused(client, member):
    response = client.post(LOGIN + "?next=https://evil.example/", {"username": "lihua", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_notifications_page_and_mark_read(client, tree):
    from core.services.notifications import notification_send

    user = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    notification_send(recipient=user, kind="test", title="请于周五前完成走访")
    client.force_login(user)
    html = client.get(reverse("core:notifications")).content.decode()
    assert "请于周五前完成走访" in html
    assert client.post(reverse("core:notifications_read")).status_code == 302
    assert user.notifications.filter(read_at__isnull=True).count() == 0
    assert client.post(reverse("core:notifications_read"), {"id": "x"}).status_code == 302


def test_notice_form_limited_to_senders_and_scope(client, tree):
    member = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    client.force_login(member)
    assert client.get(reverse("core:notice_create")).status_code == 404
    staff = make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"])
    client.force_login(staff)
    page = client.get(reverse("core:notice_create"))
    assert page.status_code == 200
    options = {a.pk for a in page.context["form"].fields["area"].queryset}
    assert tree["town_b"].pk not in options and tree["village_a"].pk in options
    foreign = client.post(reverse("core:notice_create"), {"area": tree["town_b"].pk, "title": "t", "body": "b"})
    assert foreign.status_code == 200 and not member.notifications.exists()
    sent = client.post(reverse("core:notice_create"), {"area": tree["village_a"].pk, "title": "防汛通知", "body": "…"})
    assert sent.status_code == 302
    assert member.notifications.get().title == "防汛通知"


def test_chinese_unless_english_was_chosen_on_the_site(client, db):
    # An English-language browser still gets the Chinese UI ...
    assert "用户名或手机号" in client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    # ... until the person picks English, which sticks.
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in html and "用户名或手机号" not in html
