"""Forums, people and questions for the forum's tests (built through the services)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from machina.core.db.models import get_model

from core.models import PartyOrg, User
from core.tests.factories import Role, UserFactory, make_party_org, make_user_with_role
from forum.services import posts
from forum.services.policies import forum_create, forum_policy_set

ForumPermission = get_model("forum_permission", "ForumPermission")
GroupForumPermission = get_model("forum_permission", "GroupForumPermission")
UserForumPermission = get_model("forum_permission", "UserForumPermission")

MODERATOR_PERMISSIONS = (
    "can_approve_posts",
    "can_edit_posts",
    "can_delete_posts",
    "can_lock_topics",
    "can_move_topics",
    "can_reply_to_locked_topics",
)


def make_forum(name: str = "党务知识", parent=None):
    return forum_create(name=name, parent=parent)


def make_category(name: str = "党员问答"):
    return forum_create(name=name, category=True)


def make_private_forum(org: PartyOrg, *, parent=None, name: str | None = None):
    forum = forum_create(name=name or f"{org.name}园地", parent=parent)
    forum_policy_set(forum=forum, party_org=org)
    return forum


def grant_moderator(user: User, forum=None) -> None:
    """Per-forum moderator grants, as an admin gives them in machina's admin."""
    for codename in MODERATOR_PERMISSIONS:
        UserForumPermission.objects.get_or_create(
            permission=ForumPermission.objects.get(codename=codename),
            forum=forum,
            user=user,
            defaults={"has_perm": True},
        )


def make_moderator_group(name: str = "论坛版主") -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    for codename in MODERATOR_PERMISSIONS:
        GroupForumPermission.objects.get_or_create(
            permission=ForumPermission.objects.get(codename=codename),
            forum=None,
            group=group,
            defaults={"has_perm": True},
        )
    return group


def ask(user, forum, subject: str = "党费按什么标准缴纳？", content: str = "我是退休党员，每月党费怎么算？"):
    """A published (or queued) question; returns its topic."""
    return posts.question_ask(user=user, forum=forum, subject=subject, content=content, rate_limited=False).topic


@dataclass
class QA:
    """A branch with two members, an outsider, a public forum and the branch's private forum."""

    branch: PartyOrg
    other_branch: PartyOrg
    asker: User
    answerer: User
    outsider: User
    public: object
    private: object


def make_qa(tree) -> QA:
    committee = make_party_org(PartyOrg.Kind.COMMITTEE, area=tree["town_a"], name="甲镇党委")
    branch = make_party_org(parent=committee, area=tree["village_a"], name="甲村党支部")
    other_branch = make_party_org(area=tree["village_b"], name="乙社区党支部")
    category = make_category()
    return QA(
        branch=branch,
        other_branch=other_branch,
        asker=make_user_with_role(Role.MEMBER, party_org=branch),
        answerer=make_user_with_role(Role.MEMBER, party_org=branch),
        outsider=make_user_with_role(Role.MEMBER, party_org=other_branch),
        public=make_forum("党务知识", parent=category),
        private=make_private_forum(branch, parent=category),
    )


__all__ = [
    "QA",
    "UserFactory",
    "ask",
    "grant_moderator",
    "make_category",
    "make_forum",
    "make_moderator_group",
    "make_private_forum",
    "make_qa",
]
