"""How party-organisation membership and newcomer moderation shape machina's forum permissions.

machina decides permissions from its own rows (global defaults, per-forum user/group grants). Two
rules of ours sit on top, applied inside machina's permission checker (forum/overrides) so that
every machina view, form, feed and tracking query obeys them too:

- A private forum (ForumPolicy.party_org) carries per-forum "not granted" rows for every signed-in
  and anonymous user (written by forum_policy_set), so machina alone shows it to nobody. The checker
  then gives the members of that organisation and of the organisations under it the ordinary member
  permissions (MACHINA_DEFAULT_AUTHENTICATED_USER_FORUM_PERMISSIONS). Membership is read from
  core.models.Membership on every request: nothing to keep in sync, no stale access.
  Moderators appointed through machina (per-forum user grants, global group grants) keep theirs.
- In a forum with ForumPolicy.moderate_newcomers, someone with fewer approved posts than the
  threshold loses `can_post_without_approval` unless they may approve posts there themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings

from core.access import PARTY_ORG_ROLES, memberships_of

MEMBER_PERMISSIONS = frozenset(settings.MACHINA_DEFAULT_AUTHENTICATED_USER_FORUM_PERMISSIONS)
APPROVAL_FREE = "can_post_without_approval"


def policies_by_forum() -> dict:
    """Every forum policy that changes permissions, keyed by forum id (a small table)."""
    from django.db.models import Q

    from forum.models import ForumPolicy

    rows = ForumPolicy.objects.filter(Q(party_org__isnull=False) | Q(moderate_newcomers=True)).select_related(
        "party_org"
    )
    return {p.forum_id: p for p in rows}


def member_org_paths(user) -> list[str]:
    """Paths of the party organisations the user belongs to (member or branch-venue operator)."""
    return [m.party_org.path for m in memberships_of(user) if m.role in PARTY_ORG_ROLES and m.party_org is not None]


def is_org_insider(user, policy) -> bool:
    if not policy.party_org_id or not user.is_authenticated:
        return False
    org_path = policy.party_org.path
    return any(path.startswith(org_path) for path in member_org_paths(user))


def approved_posts_count(user) -> int:
    from machina.apps.forum_member.models import ForumProfile

    return ForumProfile.objects.filter(user=user).values_list("posts_count", flat=True).first() or 0


def apply_policies(
    user,
    perms: dict,
    wanted: Iterable[str] | None,
    policies: dict,
    may_approve: Callable[[object], bool],
    approved_posts: Callable[[], int],
) -> dict:
    """Adjust machina's {forum: set(codenames)} for the user, in place, and return it."""
    wanted_set = set(wanted) if wanted else None
    for forum, codes in perms.items():
        policy = policies.get(getattr(forum, "id", None))
        if policy is None:
            continue
        if policy.party_org_id and is_org_insider(user, policy):
            codes |= MEMBER_PERMISSIONS if wanted_set is None else MEMBER_PERMISSIONS & wanted_set
        if (
            policy.moderate_newcomers
            and APPROVAL_FREE in codes
            and user.is_authenticated
            and approved_posts() < policy.newcomer_threshold
            and not may_approve(forum)
        ):
            codes.discard(APPROVAL_FREE)
    return perms
