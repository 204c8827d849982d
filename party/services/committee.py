"""An organisation's committee (支委会 / 党委班子): who holds which post, and since and until when.

The committee is kept by those above the organisation (the organisation department, the secretaries
and organisers of the organisations above it, the town's staff for the organisations in their
town) — the body that approves an election keeps its result; see
`party.access.access_org_for_committee`. A post that ends keeps its row, so the committee's history
is never lost. The secretary's and the organisation committee member's posts carry the party-work
role that lets that person keep the organisation's records, so the committee and who keeps the
records never disagree.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import PartyOrg, User
from core.services.audit import audit_record
from core.services.notifications import notification_send
from party.models import CommitteePost, MemberRecord, PartyRole

# The posts that make their holder a keeper of the organisation's records.
POST_ROLES: dict[str, str] = {
    CommitteePost.Post.SECRETARY: PartyRole.Kind.SECRETARY,
    CommitteePost.Post.ORGANISATION: PartyRole.Kind.ORGANISER,
}


def committee_candidates(org: PartyOrg):
    """Who may hold a post: active members of the organisation or of one under it."""
    return MemberRecord.objects.filter(branch__path__startswith=org.path, state=MemberRecord.State.ACTIVE)


def current_committee(org: PartyOrg):
    return org.committee.filter(until__isnull=True).select_related("member").order_by("post", "id")


def _grant_role(post: CommitteePost) -> None:
    kind = POST_ROLES.get(post.post)
    if kind and post.member.user_id:
        PartyRole.objects.get_or_create(user_id=post.member.user_id, kind=kind, party_org_id=post.org_id)


def _revoke_role(post: CommitteePost) -> None:
    """Take back the role this post carried, unless another current post of the same person in the
    same organisation carries it too."""
    kind = POST_ROLES.get(post.post)
    if not kind or not post.member.user_id:
        return
    still = CommitteePost.objects.filter(
        org_id=post.org_id,
        member__user_id=post.member.user_id,
        post__in=[p for p, k in POST_ROLES.items() if k == kind],
        until__isnull=True,
    ).exists()
    if not still:
        PartyRole.objects.filter(user_id=post.member.user_id, kind=kind, party_org_id=post.org_id).delete()


def committee_post_add(
    *,
    by: User,
    org: PartyOrg,
    member: MemberRecord,
    post: str,
    since: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> CommitteePost:
    """Give `member` a post on `org`'s committee. A new secretary takes over: the previous one's
    post ends the day before (the row stays)."""
    today = timezone.localdate()
    since = since or today
    if post not in CommitteePost.Post.values:
        raise ValidationError({"post": _("Choose a post.")})
    if since > today:
        raise ValidationError({"since": _("The date lies in the future.")})
    if not committee_candidates(org).filter(pk=member.pk).exists():
        raise ValidationError(
            {"member": _("Only an active member of this organisation or one under it can hold a post.")}
        )
    try:
        with transaction.atomic():
            if post == CommitteePost.Post.SECRETARY:
                for previous in (
                    CommitteePost.objects.select_for_update(of=("self",))
                    .select_related("member")
                    .filter(org=org, post=post, until__isnull=True)
                    .exclude(member=member)
                ):
                    _end(previous, until=max(since, previous.since or since))
            created = CommitteePost.objects.create(org=org, member=member, post=post, since=since)
            created.member = member
            _grant_role(created)
            audit_record(
                actor=by,
                action="party.committee.add",
                obj=org,
                request=request,
                detail={"post": post, "member": member.pk},
            )
            if member.user_id:
                notification_send(
                    recipient=member.user,
                    kind="party.committee",
                    title=_("You hold a committee post: %(post)s, %(org)s")
                    % {"post": created.get_post_display(), "org": org.name},
                    url=reverse("party:my_record"),
                )
    except IntegrityError:
        # The partial unique index: the same person in the same current post, also on a double submit.
        raise ValidationError(_("This member already holds that post.")) from None
    return created


def _end(post: CommitteePost, *, until: datetime.date) -> None:
    post.until = until
    post.save(update_fields=["until"])
    _revoke_role(post)


def committee_post_end(
    *,
    by: User,
    post: CommitteePost,
    until: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> CommitteePost:
    """End a post (re-election, resignation, transfer). The row stays as the committee's history."""
    today = timezone.localdate()
    until = until or today
    if until > today:
        raise ValidationError({"until": _("The date lies in the future.")})
    with transaction.atomic():
        post = CommitteePost.objects.select_for_update(of=("self",)).select_related("member", "org").get(pk=post.pk)
        if post.until is not None:
            raise ValidationError(_("This post has ended already."))
        if post.since and until < post.since:
            raise ValidationError({"until": _("A post cannot end before it began.")})
        _end(post, until=until)
        audit_record(
            actor=by,
            action="party.committee.end",
            obj=post.org,
            request=request,
            detail={"post": post.post, "member": post.member_id},
        )
    return post


def committee_posts_end_outside(*, member: MemberRecord, branch: PartyOrg | None, until: datetime.date) -> int:
    """A member who moved to `branch` leaves the posts of organisations that do not contain it; one who
    left the city (`branch` None) leaves them all (called inside the transfer's transaction)."""
    ended = 0
    for post in (
        CommitteePost.objects.select_for_update(of=("self",))
        .select_related("member", "org")
        .filter(member=member, until__isnull=True)
    ):
        if branch is None or not branch.path.startswith(post.org.path):
            _end(post, until=until)
            ended += 1
    return ended
