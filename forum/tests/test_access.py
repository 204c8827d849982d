"""Who reads which forum: role × scope matrices for forum.access, and the same 404 for a private
forum's forum page, topic, post, feed, search, API and machina's remaining pages."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from machina.core.db.models import get_model

from core.models import PartyOrg
from core.services.orgs import membership_grant
from core.tests.factories import Role, UserFactory, make_party_org, make_user_with_role
from forum.access import (
    PermissionHandler,
    access_forum_by_id,
    access_post_by_id,
    access_report_by_id,
    access_topic_by_id,
    readable_forum_ids,
)
from forum.models import PostReport
from forum.selectors import forum_url, topic_url
from forum.services import moderation, posts
from forum.services.policies import forum_policy_set
from forum.tests.factories import ask, grant_moderator, make_moderator_group, make_private_forum

pytestmark = pytest.mark.django_db

ForumPermission = get_model("forum_permission", "ForumPermission")
UserForumPermission = get_model("forum_permission", "UserForumPermission")


@pytest.fixture
def world(tree, qa):
    """Everyone who might try to read the branch's private forum, and a committee-wide forum."""
    committee = qa.branch.parent
    sub_branch = make_party_org(parent=qa.branch, area=tree["village_a"], name="甲村党支部第一党小组")
    committee_forum = make_private_forum(committee, name="甲镇党委园地")
    explicit = UserFactory()
    for codename in ("can_see_forum", "can_read_forum"):
        UserForumPermission.objects.create(
            permission=ForumPermission.objects.get(codename=codename), forum=qa.private, user=explicit, has_perm=True
        )
    superuser = UserFactory(is_superuser=True, is_staff=True)
    global_moderator = UserFactory()
    global_moderator.groups.add(make_moderator_group())
    people = {
        "anonymous": AnonymousUser(),
        "resident": make_user_with_role(Role.RESIDENT, area=tree["grid_a"]),
        "member": qa.asker,
        "venue_operator": make_user_with_role(Role.VENUE_OPERATOR, party_org=qa.branch),
        "sub_branch_member": make_user_with_role(Role.MEMBER, party_org=sub_branch),
        "committee_member": make_user_with_role(Role.MEMBER, party_org=committee),
        "outsider_member": qa.outsider,
        "town_staff": make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"]),
        "ops_admin": make_user_with_role(Role.OPS_ADMIN),
        "global_moderator": global_moderator,
        "explicit_grant": explicit,
        "superuser": superuser,
    }
    return {"qa": qa, "committee_forum": committee_forum, "people": people}


# Who reads the branch's private forum, and the committee's (which covers the branches under it).
READS_BRANCH = {"member", "venue_operator", "sub_branch_member", "explicit_grant", "superuser"}
READS_COMMITTEE = {"member", "venue_operator", "sub_branch_member", "committee_member", "superuser"}
ALL = [
    "anonymous",
    "resident",
    "member",
    "venue_operator",
    "sub_branch_member",
    "committee_member",
    "outsider_member",
    "town_staff",
    "ops_admin",
    "global_moderator",
    "explicit_grant",
    "superuser",
]


@pytest.mark.parametrize("who", ALL)
def test_forum_matrix(world, who):
    qa, user = world["qa"], world["people"][who]
    handler = PermissionHandler()
    assert access_forum_by_id(user, qa.public.pk, handler=handler) == qa.public  # public: everyone
    for forum, readers in ((qa.private, READS_BRANCH), (world["committee_forum"], READS_COMMITTEE)):
        if who in readers:
            assert access_forum_by_id(user, forum.pk, handler=handler) == forum
        else:
            with pytest.raises(Http404):
                access_forum_by_id(user, forum.pk, handler=handler)


@pytest.mark.parametrize("who", ALL)
def test_topic_and_post_matrix(world, who):
    qa, user = world["qa"], world["people"][who]
    public_topic = ask(qa.answerer, qa.public)
    private_topic = ask(qa.answerer, qa.private, subject="本月主题党日活动安排")
    private_answer = posts.answer_post(user=qa.asker, topic=private_topic, content="周六上午在村部集合。")
    handler = PermissionHandler()
    assert access_topic_by_id(user, public_topic.pk, handler=handler).pk == public_topic.pk
    assert access_post_by_id(user, public_topic.first_post_id, handler=handler).pk == public_topic.first_post_id
    if who in READS_BRANCH:
        assert access_topic_by_id(user, private_topic.pk, handler=handler).pk == private_topic.pk
        assert access_post_by_id(user, private_answer.pk, handler=handler).pk == private_answer.pk
    else:
        with pytest.raises(Http404):
            access_topic_by_id(user, private_topic.pk, handler=handler)
        with pytest.raises(Http404):
            access_post_by_id(user, private_answer.pk, handler=handler)


@pytest.mark.parametrize("who", ALL)
def test_who_may_ask_where(world, who):
    """Posting follows reading: anonymous visitors read public forums but never post."""
    qa, user = world["qa"], world["people"][who]
    handler = PermissionHandler()
    assert handler.can_add_topic(qa.public, user) == (who != "anonymous")
    assert handler.can_add_topic(qa.private, user) == (who in READS_BRANCH - {"explicit_grant"})


def test_missing_and_malformed_ids_are_404(world):
    user = world["people"]["member"]
    for func in (access_forum_by_id, access_topic_by_id, access_post_by_id, access_report_by_id):
        for bad in (999999, "abc", None, ""):
            with pytest.raises(Http404):
                func(user, bad)


def test_leaving_the_branch_takes_the_forum_away(world):
    qa = world["qa"]
    member = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    assert qa.private.pk in readable_forum_ids(member, handler=PermissionHandler())
    member.memberships.all().delete()
    member.__dict__.pop("_memberships_cache", None)
    assert qa.private.pk not in readable_forum_ids(member, handler=PermissionHandler())
    # Making the forum public again opens it to everyone.
    forum_policy_set(forum=qa.private, party_org=None)
    assert qa.private.pk in readable_forum_ids(member, handler=PermissionHandler())
    assert qa.private.pk in readable_forum_ids(AnonymousUser(), handler=PermissionHandler())


def test_pending_question_is_seen_by_its_author_and_moderators_only(world):
    qa = world["qa"]
    forum_policy_set(forum=qa.public, moderate_newcomers=True, newcomer_threshold=1)
    topic = ask(qa.asker, qa.public)
    assert not topic.approved
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    assert access_topic_by_id(qa.asker, topic.pk).pk == topic.pk
    assert access_topic_by_id(moderator, topic.pk).pk == topic.pk
    for other in (qa.answerer, AnonymousUser()):
        with pytest.raises(Http404):
            access_topic_by_id(other, topic.pk)
        with pytest.raises(Http404):
            access_post_by_id(other, topic.first_post_id)


def test_reports_are_reached_by_the_forums_moderators_only(world):
    qa = world["qa"]
    topic = ask(qa.asker, qa.public)
    report = moderation.report_create(user=qa.answerer, post=topic.first_post, reason=PostReport.Reason.SPAM, detail="")
    moderator = UserFactory()
    grant_moderator(moderator, qa.public)
    assert access_report_by_id(moderator, report.pk) == report
    for who in ("member", "outsider_member", "ops_admin", "anonymous"):
        with pytest.raises(Http404):
            access_report_by_id(world["people"][who], report.pk)


# --- The same 404 over HTTP -------------------------------------------------------------------


@pytest.fixture
def private_thread(world):
    qa = world["qa"]
    topic = ask(qa.asker, qa.private, subject="支部党费收缴情况通报", content="第三季度党费已全部收齐。")
    answer = posts.answer_post(user=qa.answerer, topic=topic, content="收到，辛苦了。")
    return topic, answer


def _private_urls(topic, answer) -> tuple[list[str], list[str]]:
    """(pages anyone might open, pages that need a sign-in first)."""
    forum = topic.forum
    base = f"/forum/forum/{forum.slug}-{forum.pk}"
    reading = [
        forum_url(forum),
        topic_url(topic),
        f"/forum/post/{answer.pk}/",
        f"/forum/feeds/forum/{forum.slug}-{forum.pk}/topics/",
        f"/forum/feeds/forum/{forum.slug}-{forum.pk}/topics/all/",
        # machina's own pages that we did not replace answer 404 too (forum.overrides view mixin)
        f"/forum/moderation/topic/{topic.slug}-{topic.pk}/lock/",
        f"/forum/moderation/topic/{topic.slug}-{topic.pk}/move/",
        f"/api/forum/forums/{forum.pk}/topics",
        f"/api/forum/topics/{topic.pk}",
        f"/api/forum/topics/{topic.pk}/posts",
    ]
    writing = [
        f"{base}/topic/create/",
        f"{base}/topic/{topic.slug}-{topic.pk}/post/create/",
        f"{base}/topic/{topic.slug}-{topic.pk}/{answer.pk}/post/update/",
        f"{base}/topic/{topic.slug}-{topic.pk}/{answer.pk}/post/delete/",
        f"/forum/post/{answer.pk}/follow-up/",
        f"/forum/post/{answer.pk}/report/",
        f"/forum/member/topic/{topic.pk}/subscribe/",  # machina's, login first
    ]
    return reading, writing


@pytest.mark.parametrize("who", ["anonymous", "outsider_member", "ops_admin", "global_moderator"])
def test_private_forum_is_404_to_outsiders_everywhere(client, world, private_thread, who):
    topic, answer = private_thread
    user = world["people"][who]
    if user.is_authenticated:
        client.force_login(user)
    reading, writing = _private_urls(topic, answer)
    for url in reading + (writing if user.is_authenticated else []):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    if not user.is_authenticated:
        # Forms ask for a sign-in before anything is looked up: a missing post answers the same.
        for url in writing:
            assert client.get(url).status_code == 302
        assert client.get("/forum/post/999999/follow-up/").status_code == 302
    # Nothing of it in the lists, the feeds, the search or the API either.
    assert "党费收缴情况通报" not in client.get("/forum/").content.decode()
    assert "党费收缴情况通报" not in client.get("/forum/feeds/topics/").content.decode()
    assert f'href="{topic_url(topic)}"' not in client.get("/forum/search/?q=党费收缴").content.decode()
    assert "党费收缴情况通报" not in client.get(f"/forum/member/profile/{topic.poster_id}/posts/").content.decode()
    assert all(f["id"] != topic.forum_id for f in client.get("/api/forum/forums").json())
    assert client.get("/api/forum/topics?q=党费收缴").json()["count"] == 0


def test_the_same_pages_open_for_a_member_of_the_branch(client, world, private_thread):
    topic, answer = private_thread
    client.force_login(world["people"]["member"])
    reading, writing = _private_urls(topic, answer)
    for url in reading[:5] + reading[-3:] + writing[:2] + writing[4:]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
    assert f'href="{topic_url(topic)}"' in client.get("/forum/search/?q=党费收缴").content.decode()
    assert "党费收缴情况通报" in client.get("/forum/feeds/topics/").content.decode()


def test_a_missing_topic_looks_like_a_private_one(client, world, private_thread):
    topic, _answer = private_thread
    client.force_login(world["people"]["outsider_member"])
    forum = topic.forum
    private = client.get(topic_url(topic))
    missing = client.get(f"/forum/forum/{forum.slug}-{forum.pk}/topic/x-999999/")
    assert private.status_code == missing.status_code == 404
    # The header's sign-out form carries a CSRF token masked afresh for every response.
    # The header's sign-out form carries a CSRF token masked afresh for every response, and its
    # language switch returns to the page's own address: neither tells a private topic from none.
    missing_url = f"/forum/forum/{forum.slug}-{forum.pk}/topic/x-999999/"
    assert _neutral(private.content, topic_url(topic)) == _neutral(missing.content, missing_url)


def _neutral(content: bytes, url: str) -> bytes:
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    for form in (url, quote(url), quote(url, safe="")):
        content = content.replace(form.encode(), b"URL")
    return content


def test_membership_in_a_committee_covers_its_branches(world):
    qa = world["qa"]
    member = make_user_with_role(Role.MEMBER, party_org=qa.branch)
    other = make_party_org(PartyOrg.Kind.COMMITTEE, name="乙街道党工委")
    membership_grant(user=member, role=Role.MEMBER, party_org=other)
    ids = readable_forum_ids(member, handler=PermissionHandler())
    assert {qa.private.pk, world["committee_forum"].pk} <= ids


def test_making_a_forum_private_in_the_admin_writes_machinas_rows(client, world):
    qa = world["qa"]
    client.force_login(world["people"]["superuser"])
    response = client.post(
        "/django-admin/qa_forum/forumpolicy/add/",
        {"forum": qa.public.pk, "party_org": qa.branch.pk, "newcomer_threshold": 3},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    outsider = world["people"]["outsider_member"]
    assert qa.public.pk not in readable_forum_ids(outsider, handler=PermissionHandler())
    assert qa.public.pk in readable_forum_ids(world["people"]["member"], handler=PermissionHandler())
    response = client.post(f"/django-admin/qa_forum/forumpolicy/{qa.public.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert qa.public.pk in readable_forum_ids(outsider, handler=PermissionHandler())
