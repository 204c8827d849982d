"""Forum set-up: topic-area forums open to all, private forums of one party organisation, and
pre-moderation of newcomers. See forum/permissions.py for how the policy reaches machina."""

from __future__ import annotations

from django.db import transaction
from machina.core.db.models import get_model

from core.models import PartyOrg
from forum.access import Forum
from forum.models import ForumPolicy

ForumPermission = get_model("forum_permission", "ForumPermission")
UserForumPermission = get_model("forum_permission", "UserForumPermission")


def forum_create(*, name: str, parent: Forum | None = None, category: bool = False, description: str = "") -> Forum:
    """A machina forum (or category) under `parent`; machina keeps the tree and slug."""
    return Forum.objects.create(
        name=name,
        parent=parent,
        type=Forum.FORUM_CAT if category else Forum.FORUM_POST,
        description=description,
    )


def forum_policy_set(
    *,
    forum: Forum,
    party_org: PartyOrg | None = None,
    moderate_newcomers: bool = False,
    newcomer_threshold: int = 3,
) -> ForumPolicy:
    """Make a forum private to a party organisation (or public again) and set pre-moderation.

    A private forum gets machina rows that grant nothing to any signed-in or anonymous user on
    that forum, so machina on its own hides it; the checker gives the organisation's members their
    permissions back. Per-forum grants to named users or groups (moderators) are left alone.
    """
    with transaction.atomic():
        policy, _created = ForumPolicy.objects.update_or_create(
            forum=forum,
            defaults={
                "party_org": party_org,
                "moderate_newcomers": moderate_newcomers,
                "newcomer_threshold": newcomer_threshold,
            },
        )
        denials = UserForumPermission.objects.filter(forum=forum, user=None, has_perm=False)
        if party_org is None:
            denials.delete()
        else:
            existing = set(denials.values_list("permission_id", "anonymous_user", "authenticated_user"))
            rows = []
            for permission in ForumPermission.objects.all():
                for anonymous in (True, False):
                    key = (permission.pk, anonymous, not anonymous)
                    if key not in existing:
                        rows.append(
                            UserForumPermission(
                                permission=permission,
                                forum=forum,
                                user=None,
                                anonymous_user=anonymous,
                                authenticated_user=not anonymous,
                                has_perm=False,
                            )
                        )
            UserForumPermission.objects.bulk_create(rows)
    return policy
