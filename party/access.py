"""Who may see and keep party records: the only way from a user-supplied id to a row.

- The organisation department (PartyRole ORG_DEPARTMENT), the operations centre and superusers:
  every organisation.
- A secretary or organiser (PartyRole with an organisation): that organisation and everything under it.
- Town/street staff: the organisations located in their town (its villages, communities, offices).
- An organisation's committee is kept from above (`can_keep_committee`).
- A party member: only their own record (see `own_record`), which they may ask to have corrected.
Everything else is a 404, the same answer as for an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import is_city_wide, memberships_of
from core.models import PartyOrg, Role, User
from party.models import CommitteePost, Meeting, MemberRecord, MobileRegistration, PartyRole, Transfer


@dataclass(frozen=True)
class PartyScope:
    all: bool = False
    org_paths: tuple[str, ...] = field(default_factory=tuple)
    area_paths: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.all or self.org_paths or self.area_paths)

    def org_filter(self, prefix: str = "") -> Q:
        """A filter on PartyOrg (or on a relation to it, `prefix` = "branch__")."""
        if self.all:
            return Q()
        condition = Q(pk__in=[])
        for path in self.org_paths:
            condition |= Q(**{f"{prefix}path__startswith": path})
        for path in self.area_paths:
            condition |= Q(**{f"{prefix}area__path__startswith": path})
        return condition

    def covers(self, org: PartyOrg) -> bool:
        if self.all:
            return True
        if any(org.path.startswith(p) for p in self.org_paths):
            return True
        return bool(org.area_id and any(org.area.path.startswith(p) for p in self.area_paths))


def party_roles_of(user: User) -> list[PartyRole]:
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_party_roles_cache", None)
    if cached is None:
        cached = list(PartyRole.objects.filter(user=user).select_related("party_org"))
        user._party_roles_cache = cached
    return cached


def is_org_department(user: User) -> bool:
    return any(r.kind == PartyRole.Kind.ORG_DEPARTMENT for r in party_roles_of(user))


def party_scope(user: User) -> PartyScope:
    if not user.is_authenticated or not user.is_active:
        return PartyScope()
    if is_city_wide(user) or is_org_department(user):
        return PartyScope(all=True)
    org_paths = tuple(r.party_org.path for r in party_roles_of(user) if r.party_org_id)
    # Town staff look after their town's organisations; village staff keep the village's economy
    # (villages app), not its members' records.
    area_paths = tuple(m.area.path for m in memberships_of(user) if m.role == Role.TOWN_STAFF and m.area_id)
    return PartyScope(org_paths=org_paths, area_paths=area_paths)


def is_party_keeper(user: User) -> bool:
    return not party_scope(user).empty


def orgs_kept_by(user: User) -> QuerySet[PartyOrg]:
    scope = party_scope(user)
    if scope.empty:
        return PartyOrg.objects.none()
    return PartyOrg.objects.filter(scope.org_filter())


def access_org_by_id(user: User, org_id: int | str) -> PartyOrg:
    try:
        return orgs_kept_by(user).select_related("area", "parent").get(pk=int(org_id))
    except (PartyOrg.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_keep_committee(user: User, org: PartyOrg) -> bool:
    """Whether the user keeps `org`'s committee: the body that approves an organisation's election
    keeps its result, so it is kept from above — the organisation department (and the city-wide
    keepers), the secretaries and organisers of an organisation above it, and the town's staff for
    the organisations in their town below the town's own party committee. An organisation's own
    secretary sees the committee and cannot change it (nor remove themselves from it)."""
    scope = party_scope(user)
    if scope.all:
        return True
    if any(org.path.startswith(p) and org.path != p for p in scope.org_paths):
        return True
    if org.area_id is None or not scope.area_paths:
        return False
    area_path = org.area.path
    for path in scope.area_paths:
        if area_path.startswith(path):
            # The town's own party committee is the city's to keep.
            return not (area_path == path and org.kind == PartyOrg.Kind.COMMITTEE)
    return False


def access_org_for_committee(user: User, org_id: int | str) -> PartyOrg:
    org = access_org_by_id(user, org_id)
    if not can_keep_committee(user, org):
        raise Http404
    return org


def access_committee_post_by_id(user: User, org: PartyOrg, post_id: int | str) -> CommitteePost:
    """A post of an organisation whose committee the user keeps (`org` came through
    `access_org_for_committee`)."""
    try:
        return CommitteePost.objects.select_related("member", "org").get(pk=int(post_id), org=org)
    except (CommitteePost.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def members_kept_by(user: User) -> QuerySet[MemberRecord]:
    """Records of the organisations the user keeps, and mobile members those organisations care for."""
    scope = party_scope(user)
    if scope.empty:
        return MemberRecord.objects.none()
    if scope.all:
        return MemberRecord.objects.all()
    return MemberRecord.objects.filter(scope.org_filter("branch__") | scope.org_filter("mobile__caring_org__"))


def access_member_by_id(user: User, member_id: int | str) -> MemberRecord:
    try:
        return members_kept_by(user).select_related("branch", "user").get(pk=int(member_id))
    except (MemberRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def own_record(user: User) -> MemberRecord | None:
    """A member's own record (to read it and ask for a correction), or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    return MemberRecord.objects.filter(user=user).select_related("branch").first()


def transfers_visible_to(user: User) -> QuerySet[Transfer]:
    scope = party_scope(user)
    if scope.empty:
        return Transfer.objects.none()
    if scope.all:
        return Transfer.objects.all()
    return Transfer.objects.filter(scope.org_filter("from_org__") | scope.org_filter("to_org__"))


def access_transfer_by_id(user: User, transfer_id: int | str, *, to_decide: bool = False) -> Transfer:
    """`to_decide`: only the receiving side (or the city-wide keepers) accepts or returns a transfer."""
    try:
        transfer = (
            transfers_visible_to(user)
            .select_related("member", "from_org", "to_org", "to_org__area", "from_org__area")
            .get(pk=int(transfer_id))
        )
    except (Transfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if to_decide and (transfer.to_org is None or not party_scope(user).covers(transfer.to_org)):
        raise Http404
    return transfer


def registrations_visible_to(user: User) -> QuerySet[MobileRegistration]:
    scope = party_scope(user)
    if scope.empty:
        return MobileRegistration.objects.none()
    return MobileRegistration.objects.filter(scope.org_filter("caring_org__"))


def access_registration_by_id(user: User, registration_id: int | str) -> MobileRegistration:
    try:
        return registrations_visible_to(user).select_related("caring_org", "user").get(pk=int(registration_id))
    except (MobileRegistration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    scope = party_scope(user)
    if scope.empty:
        return Meeting.objects.none()
    return Meeting.objects.filter(scope.org_filter("org__"))


def access_meeting_by_id(user: User, meeting_id: int | str) -> Meeting:
    try:
        return meetings_visible_to(user).select_related("org").get(pk=int(meeting_id))
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def keepers_of(org: PartyOrg) -> QuerySet[User]:
    """Who is told about something waiting for an organisation: its own secretaries and organisers,
    or, when it has none, those of the nearest organisation above it that has some."""
    ancestors = [org.path[: i + 1] for i, ch in enumerate(org.path) if ch == "/" and i > 0]
    roles = PartyRole.objects.filter(party_org__path__in=ancestors).values_list("party_org__path", "user_id")
    by_path: dict[str, list[int]] = {}
    for path, user_id in roles:
        by_path.setdefault(path, []).append(user_id)
    for path in sorted(by_path, key=len, reverse=True):
        return User.objects.filter(pk__in=by_path[path], is_active=True)
    return User.objects.filter(party_roles__kind=PartyRole.Kind.ORG_DEPARTMENT, is_active=True).distinct()
