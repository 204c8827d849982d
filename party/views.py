"""Party-building pages: thin — parse, reach rows through party.access, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.services.audit import audit_record
from core.spreadsheets import xlsx_response
from party import selectors
from party.access import (
    access_committee_post_by_id,
    access_member_by_id,
    access_org_by_id,
    access_org_for_committee,
    access_registration_by_id,
    access_transfer_by_id,
    can_keep_committee,
    is_party_keeper,
    members_kept_by,
    orgs_kept_by,
    own_record,
    party_scope,
    registrations_visible_to,
    transfers_visible_to,
)
from party.exports import import_template, members_workbook
from party.forms import (
    CommitteeEndForm,
    CommitteePostForm,
    CorrectionForm,
    DeceasedForm,
    DecisionForm,
    ImportForm,
    MeetingForm,
    MemberFilterForm,
    MemberRecordForm,
    MobileRegistrationForm,
    OrgProfileForm,
    TransferForm,
    TransferOutForm,
)
from party.models import (
    NEW_EMPLOYMENT_OCCUPATIONS,
    CorrectionRequest,
    MemberRecord,
    MobileRegistration,
    OrgProfile,
    Transfer,
)
from party.services.committee import committee_candidates, committee_post_add, committee_post_end, current_committee
from party.services.imports import party_import_workbook
from party.services.life import meeting_save
from party.services.members import (
    correction_answer,
    correction_ask,
    member_phone_reveal,
    member_record_deceased,
    member_record_save,
    org_profile_save,
)
from party.services.mobile import mobile_register, registration_confirm, registration_reject
from party.services.transfers import (
    transfer_accept,
    transfer_cancel,
    transfer_out_of_city,
    transfer_reject,
    transfer_request,
)
from villages.access import villages_visible_to


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _top_orgs(user) -> list:
    """The highest organisations the user keeps (their subtrees cover everything else they keep)."""
    orgs = list(orgs_kept_by(user).order_by("path").only("pk", "name", "path", "kind"))
    tops = []
    for org in orgs:
        if not tops or not org.path.startswith(tops[-1].path):
            tops.append(org)
    return tops


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not is_party_keeper(request.user):
        if own_record(request.user) is not None:
            return redirect("party:my_record")
        return redirect("party:register")
    user = request.user
    tops = _top_orgs(user)
    scope = party_scope(user)
    context = {
        "tops": tops[:50],
        "more_tops": len(tops) > 50,
        "figures": selectors.member_figures(orgs_kept_by(user) if not scope.all else None),
        "incoming": transfers_visible_to(user)
        .filter(state=Transfer.State.PENDING)
        .filter(scope.org_filter("to_org__"))
        .count(),
        "registrations": registrations_visible_to(user).filter(state=MobileRegistration.State.PENDING).count(),
        "sees_villages": villages_visible_to(user).exists(),
        "corrections": CorrectionRequest.objects.filter(
            member__in=members_kept_by(user), state=CorrectionRequest.State.OPEN
        ).count(),
    }
    return render(request, "party/home.html", context)


@login_required
def org_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    profile = OrgProfile.objects.filter(org=org).first()
    orgs = selectors.subtree(org)
    context = {
        "org": org,
        "profile": profile,
        "committee": current_committee(org),
        "can_keep_committee": can_keep_committee(request.user, org),
        "children": selectors.child_org_counts(org),
        "figures": selectors.member_figures(orgs),
        "talent": selectors.talent_figures(orgs),
        "ancestors": orgs_kept_by(request.user).filter(pk__in=_ancestor_ids(org)).order_by("path"),
    }
    return render(request, "party/org_detail.html", context)


def _ancestor_ids(org) -> list[int]:
    from core.models import PartyOrg

    prefixes = [org.path[: i + 1] for i, ch in enumerate(org.path) if ch == "/" and 0 < i < len(org.path) - 1]
    return list(PartyOrg.objects.filter(path__in=prefixes).values_list("pk", flat=True))


@login_required
def org_profile_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    profile = OrgProfile.objects.filter(org=org).first() or OrgProfile(org=org)
    form = OrgProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            org_profile_save(by=request.user, org=org, data=form.cleaned_data, request=request)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("party:org_detail", org_id=org.pk)
    return render(request, "party/form.html", {"form": form, "org": org, "title": _("Edit profile")})


@login_required
def org_committee(request: HttpRequest, org_id: int) -> HttpResponse:
    """The committee's posts, current and past; kept from above (party.access.can_keep_committee)."""
    org = access_org_for_committee(request.user, org_id)
    search = request.GET.get("q", "").strip()[:50]
    candidates = committee_candidates(org)
    form = CommitteePostForm(
        request.POST if request.POST.get("action") == "add" else None, candidates=candidates, search=search
    )
    end_form = CommitteeEndForm(request.POST if request.POST.get("action") == "end" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add" and form.is_valid():
                committee_post_add(
                    by=request.user,
                    org=org,
                    member=form.cleaned_data["member"],
                    post=form.cleaned_data["post"],
                    since=form.cleaned_data["since"],
                    request=request,
                )
                messages.success(request, _("Post recorded."))
                return redirect("party:org_committee", org_id=org.pk)
            if action == "end" and end_form.is_valid():
                post = access_committee_post_by_id(request.user, org, request.POST.get("post_id"))
                committee_post_end(by=request.user, post=post, until=end_form.cleaned_data["until"], request=request)
                messages.success(request, _("Post ended: %(name)s") % {"name": post.member.name})
                return redirect("party:org_committee", org_id=org.pk)
            if action not in ("add", "end"):
                raise Http404
        except ValidationError as error:
            _form_errors(form if action == "add" else end_form, error)
    context = {
        "org": org,
        "form": form,
        "end_form": end_form,
        "search": search,
        "current": current_committee(org),
        "past": org.committee.filter(until__isnull=False).select_related("member").order_by("-until", "-id")[:100],
    }
    return render(request, "party/org_committee.html", context)


@login_required
def member_list(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    form = MemberFilterForm(request.GET or None)
    records = MemberRecord.objects.filter(branch__in=selectors.subtree(org), state=MemberRecord.State.ACTIVE)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            records = records.filter(name__contains=data["q"])
        if data["status"]:
            records = records.filter(status=data["status"])
        if data["occupation"] == "new_employment":
            records = records.filter(occupation__in=NEW_EMPLOYMENT_OCCUPATIONS)
        elif data["occupation"]:
            records = records.filter(occupation=data["occupation"])
        if data["mobile"]:
            records = records.filter(is_mobile=True)
    records = records.select_related("branch").order_by("branch__path", "name", "id")
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    audit_record(actor=request.user, action="party.member.list", obj=org, request=request, detail={"page": page.number})
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "party/member_list.html", {"org": org, "form": form, "page": page, "query": query.urlencode()}
    )


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    record = access_member_by_id(request.user, member_id)
    audit_record(actor=request.user, action="party.member.view", obj=record, request=request)
    return render(request, "party/member_detail.html", _member_context(request, record, revealed=False))


def _member_context(request: HttpRequest, record: MemberRecord, *, revealed: bool) -> dict:
    return {
        "record": record,
        "revealed": revealed,
        "mobile": getattr(record, "mobile", None) if record.is_mobile else None,
        "talent": record.talent.all(),
        "transfers": record.transfers.select_related("from_org", "to_org").order_by("-requested_at"),
        "corrections": record.corrections.all()[:20],
        "posts": record.posts.select_related("org"),
        "can_transfer": not record.transfers.filter(state=Transfer.State.PENDING).exists(),
    }


@login_required
@require_POST
def member_reveal(request: HttpRequest, member_id: int) -> HttpResponse:
    record = access_member_by_id(request.user, member_id)
    member_phone_reveal(by=request.user, record=record, request=request)
    return render(request, "party/member_detail.html", _member_context(request, record, revealed=True))


@login_required
def member_edit(request: HttpRequest, org_id: int, member_id: int | None = None) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    record = access_member_by_id(request.user, member_id) if member_id else None
    if record is not None and record.branch_id != org.pk:
        raise Http404
    form = MemberRecordForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "talent_roles"}
        try:
            saved = member_record_save(
                by=request.user,
                branch=org,
                data=data,
                record=record,
                talent_roles=form.cleaned_data["talent_roles"],
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Member record saved."))
            return redirect("party:member_detail", member_id=saved.pk)
    title = _("Edit member record") if record else _("New member record")
    return render(request, "party/form.html", {"form": form, "org": org, "title": title})


@login_required
def member_transfer(request: HttpRequest, member_id: int) -> HttpResponse:
    record = access_member_by_id(request.user, member_id)
    form = TransferForm(request.POST or None, member=record)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = transfer_request(
                by=request.user,
                member=record,
                to_org=form.cleaned_data["to_org"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The transfer has been sent to the receiving organisation."))
            return redirect("party:transfer_detail", transfer_id=transfer.pk)
    return render(
        request, "party/form.html", {"form": form, "org": record.branch, "title": _("Transfer %s") % record.name}
    )


@login_required
def member_transfer_out(request: HttpRequest, member_id: int) -> HttpResponse:
    record = access_member_by_id(request.user, member_id)
    form = TransferOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = transfer_out_of_city(
                by=request.user,
                member=record,
                destination=form.cleaned_data["destination"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Transferred out of the city: the record is kept, closed."))
            return redirect("party:transfer_detail", transfer_id=transfer.pk)
    return render(
        request,
        "party/form.html",
        {"form": form, "org": record.branch, "title": _("Transfer %s out of the city") % record.name},
    )


@login_required
def member_deceased(request: HttpRequest, member_id: int) -> HttpResponse:
    record = access_member_by_id(request.user, member_id)
    form = DeceasedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_record_deceased(
                by=request.user, member=record, died_on=form.cleaned_data["died_on"], request=request
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The death has been recorded: the record is kept, closed."))
            return redirect("party:member_detail", member_id=record.pk)
    return render(
        request,
        "party/form.html",
        {"form": form, "org": record.branch, "title": _("Record the death of %s") % record.name},
    )


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    if not is_party_keeper(request.user):
        raise Http404
    scope = party_scope(request.user)
    transfers = transfers_visible_to(request.user).select_related("member", "from_org", "to_org")
    context = {
        "incoming": transfers.filter(state=Transfer.State.PENDING).filter(scope.org_filter("to_org__"))[:100],
        "outgoing": transfers.filter(state=Transfer.State.PENDING).exclude(scope.org_filter("to_org__"))[:100],
        "page": Paginator(transfers.exclude(state=Transfer.State.PENDING), 50).get_page(request.GET.get("page")),
    }
    return render(request, "party/transfer_list.html", context)


@login_required
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = access_transfer_by_id(request.user, transfer_id)
    scope = party_scope(request.user)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        reply = form.cleaned_data["reply"]
        try:
            if action == "accept":
                transfer = transfer_accept(
                    by=request.user,
                    transfer=access_transfer_by_id(request.user, transfer_id, to_decide=True),
                    reply=reply,
                    request=request,
                )
                messages.success(request, _("Transfer accepted: the member now belongs to your organisation."))
            elif action == "reject":
                transfer = transfer_reject(
                    by=request.user,
                    transfer=access_transfer_by_id(request.user, transfer_id, to_decide=True),
                    reply=reply,
                    request=request,
                )
                messages.success(request, _("Transfer returned."))
            elif action == "cancel":
                transfer = transfer_cancel(by=request.user, transfer=transfer, request=request)
                messages.success(request, _("Transfer withdrawn."))
            else:
                raise Http404
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect("party:transfer_detail", transfer_id=transfer.pk)
    context = {
        "transfer": transfer,
        "form": form,
        "can_decide": transfer.state == Transfer.State.PENDING and scope.covers(transfer.to_org),
        "can_cancel": transfer.state == Transfer.State.PENDING and scope.covers(transfer.from_org),
    }
    return render(request, "party/transfer_detail.html", context)


# --- Mobile members ---------------------------------------------------------------------------


@login_required
def register(request: HttpRequest) -> HttpResponse:
    """A mobile member (a rider) registers himself; the caring branch confirms."""
    mine = MobileRegistration.objects.filter(user=request.user).select_related("caring_org").first()
    pending = mine if mine and mine.state == MobileRegistration.State.PENDING else None
    initial = {"name": request.user.name, "phone": request.user.mobile or ""}
    form = MobileRegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            mobile_register(user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Registered. Your branch will confirm it soon."))
            return redirect("party:register")
    return render(request, "party/register.html", {"form": form, "pending": pending, "last": mine})


@login_required
def registration_list(request: HttpRequest) -> HttpResponse:
    if not is_party_keeper(request.user):
        raise Http404
    registrations = registrations_visible_to(request.user).select_related("caring_org")
    context = {
        "pending": registrations.filter(state=MobileRegistration.State.PENDING)[:200],
        "page": Paginator(registrations.exclude(state=MobileRegistration.State.PENDING), 50).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "party/registration_list.html", context)


@login_required
def registration_detail(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = access_registration_by_id(request.user, registration_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "confirm":
                record = registration_confirm(by=request.user, registration=registration, request=request)
                messages.success(
                    request, _("Confirmed: %(name)s is now a mobile member of your branch.") % {"name": record.name}
                )
                return redirect("party:member_detail", member_id=record.pk)
            registration_reject(
                by=request.user, registration=registration, reply=form.cleaned_data["reply"], request=request
            )
            messages.success(request, _("Registration returned to the member."))
            return redirect("party:registration_list")
        except ValidationError as error:
            _form_errors(form, error)
    return render(request, "party/registration_detail.html", {"registration": registration, "form": form})


# --- The member's own record ------------------------------------------------------------------


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    record = own_record(request.user)
    if record is None:
        raise Http404
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction_ask(member=record, text=form.cleaned_data["text"])
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your request has been sent to your branch."))
            return redirect("party:my_record")
    context = {
        "record": record,
        "form": form,
        "mobile": getattr(record, "mobile", None) if record.is_mobile else None,
        "corrections": record.corrections.all()[:20],
        "transfers": record.transfers.select_related("from_org", "to_org")[:20],
        "posts": record.posts.select_related("org").order_by("until", "-since", "id")[:20],
    }
    return render(request, "party/my_record.html", context)


@login_required
@require_POST
def correction_decide(request: HttpRequest, member_id: int, correction_id: int) -> HttpResponse:
    record = access_member_by_id(request.user, member_id)
    correction = record.corrections.filter(pk=correction_id).first()
    if correction is None:
        raise Http404
    try:
        correction_answer(
            by=request.user,
            correction=correction,
            done=request.POST.get("action") == "done",
            reply=request.POST.get("reply", "")[:200],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("party:member_detail", member_id=record.pk)


# --- Organisational life ----------------------------------------------------------------------


def _year(request: HttpRequest) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    return min(max(year, 2000), today.year)


LIFE_BRANCHES_PER_PAGE = 50


@login_required
def org_life(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    orgs = selectors.subtree(org)
    # Live lessons and courses are linked in as they end and are completed (party.receivers); the
    # page only reads meetings.
    year = _year(request)
    # The kinds' totals are summed in the database; the per-branch table (with the periods missed)
    # is read one page of branches at a time, so a city's page costs the same as a town's.
    page = Paginator(selectors.life_branches(orgs), LIFE_BRANCHES_PER_PAGE).get_page(request.GET.get("page"))
    overview = selectors.life_of_branches(list(page.object_list), year)
    meetings = (
        org.meetings.filter(held_on__year=year).select_related("live_event").order_by("-held_on", "-id")
        if org.kind == org.Kind.BRANCH
        else None
    )
    today = timezone.localdate()
    context = {
        "org": org,
        "year": year,
        "years": list(range(today.year, today.year - 4, -1)),
        "overview": overview,
        "page": page,
        "query": f"year={year}",
        "kinds": selectors.life_figures(year, orgs),
        "meetings": meetings,
    }
    return render(request, "party/org_life.html", context)


@login_required
def meeting_edit(request: HttpRequest, org_id: int, meeting_id: int | None = None) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    meeting = org.meetings.filter(pk=meeting_id).first() if meeting_id else None
    if meeting_id and meeting is None:
        raise Http404
    form = MeetingForm(request.POST or None, instance=meeting, org=org)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "attendees"}
        try:
            meeting_save(
                by=request.user,
                org=org,
                data=data,
                attendees=list(form.cleaned_data["attendees"]),
                meeting=meeting,
                request=request,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("party:org_life", org_id=org.pk)
    title = _("Edit meeting") if meeting else _("Record a meeting")
    return render(request, "party/form.html", {"form": form, "org": org, "title": title})


@login_required
def org_talent(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    orgs = selectors.subtree(org)
    page = Paginator(selectors.talent_pool(orgs), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "party/org_talent.html",
        {"org": org, "page": page, "figures": selectors.talent_figures(orgs)},
    )


# --- Spreadsheets -----------------------------------------------------------------------------


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    if not is_party_keeper(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = party_import_workbook(
            by=request.user, file=form.cleaned_data["file"], mode=form.cleaned_data["mode"], request=request
        )
    context: dict = {"form": form, "report": report}
    if report is not None:
        # Rows with a problem first (skipped ones had errors), then the others up to a page's worth.
        problems = [r for r in report.rows if r.messages]
        others = [r for r in report.rows if not r.messages]
        context.update(
            shown_rows=problems + others[:200],
            more_rows=max(0, len(others) - 200),
            **{s: report.count(s) for s in ("created", "updated", "unchanged")},
        )
    return render(request, "party/import.html", context)


@login_required
def import_template_view(request: HttpRequest) -> HttpResponse:
    if not is_party_keeper(request.user):
        raise Http404
    return xlsx_response(import_template(), "党组织和党员导入模板.xlsx")


@login_required
def member_export(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    records = MemberRecord.objects.filter(branch__in=selectors.subtree(org), state=MemberRecord.State.ACTIVE)
    content, count = members_workbook(records)
    audit_record(actor=request.user, action="party.member.export", obj=org, request=request, detail={"rows": count})
    return xlsx_response(content, f"{org.name}党员名册{timezone.localdate():%Y%m%d}.xlsx")
