"""Pages of live events: the list, the viewer page, a venue's big screen, the host console, the
attendance report. Thin: parse, `access_*`, one service, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import ratelimit
from core.access import AuthenticatedHttpRequest
from core.spreadsheets import xlsx_response
from core.textinput import json_loads
from streaming import access, integrations, selectors
from streaming.exports import attendance_workbook
from streaming.forms import AnnouncementForm, CancelForm, CheckInForm, EventForm, ForumQuestionForm, VenueForm
from streaming.models import ChatMessage, LiveEvent, Question, Venue, VenueAttendance
from streaming.services import chat, events, venues


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_text(exc: ValidationError | PermissionDenied) -> str:
    return exc.messages[0] if isinstance(exc, ValidationError) else (str(exc) or _("You cannot do this."))


def host_action(view: Callable) -> Callable:
    """POST by a host: run the service, answer JSON to scripts and a redirect with a message to forms."""

    @wraps(view)
    @login_required
    @require_POST
    def wrapper(request: AuthenticatedHttpRequest, event_id: int, *args, **kwargs) -> HttpResponse:
        event = access.access_event_by_id(request.user, event_id, for_host=True)
        try:
            done = view(request, event, *args, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            if wants_json(request):
                return JsonResponse({"ok": False, "error": error_text(exc)}, status=400)
            messages.error(request, error_text(exc))
            return redirect("streaming:host_console", event_id=event.pk)
        if wants_json(request):
            return JsonResponse({"ok": True})
        if done:
            messages.success(request, done)
        return redirect("streaming:host_console", event_id=event.pk)

    return wrapper


def ui_strings() -> dict[str, str]:
    """Texts the page scripts show, in the reader's language."""
    return {
        "connecting": _("Connecting…"),
        "online": _("Connected"),
        "offline": _("Connection lost; reconnecting…"),
        "forbidden": _("You are not invited to this event."),
        "signIn": _("Sign in to take part."),
        "badInput": _("That message could not be sent."),
        "answering": _("Being answered"),
        "answered": _("Answered"),
        "open": _("Waiting"),
        "second": _("Me too"),
        "seconded": _("%(n)s want this answered"),
        "delete": _("Delete"),
        "answerNow": _("Answer now"),
        "markAnswered": _("Answered"),
        "stateScheduled": _("Not started yet"),
        "stateLive": _("Live"),
        "stateEnded": _("Ended"),
        "stateReplay": _("Ended · replay available"),
        "stateCancelled": _("Cancelled"),
        "waitingVideo": _("Waiting for the video…"),
        "videoUnavailable": _("Video is not available yet on this platform."),
        "playerError": _("The video could not be played; retrying…"),
        "checkedIn": _("Checked in: %(n)s people"),
        "playing": _("Playing"),
        "buffering": _("Buffering"),
        "waiting": _("Waiting for video"),
        "error": _("Playback error"),
        "unknown": _("Unknown"),
        "yes": _("Yes"),
        "no": _("No"),
        "never": _("never"),
        "secondsAgo": _("%(n)s s ago"),
        "venue": _("Venue"),
        "sent": _("Sent"),
        "days": _("%(n)s days"),
    }


def _page_context(request: HttpRequest, event: LiveEvent, **extra) -> dict:
    return {
        "event": event,
        "is_host": access.can_host_event(request.user, event),
        "ui_strings": ui_strings(),
        "video_available": integrations.video_available(),
        "chat_max": chat.CHAT_MAX_CHARS,
        "question_max": chat.QUESTION_MAX_CHARS,
        "heartbeat_seconds": venues.HEARTBEAT_SECONDS,
        **extra,
    }


# --- Lists -------------------------------------------------------------------------------------


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    lists = selectors.event_lists(request.user)
    past = Paginator(lists.past, 20).get_page(request.GET.get("page"))
    credits = selectors.learning_credits_for(request.user) if request.user.is_authenticated else None
    return render(
        request,
        "streaming/event_list.html",
        {
            "lists": lists,
            "past": past,
            "venue_events": selectors.venue_events_for(request.user) if request.user.is_authenticated else [],
            "may_organise": access.may_organise_events(request.user),
            # The host console one tap from the list, for the events this person hosts.
            "hosted_ids": {e.pk for e in selectors.events_hosted_by(request.user, limit=100)},
            "credits": credits,
        },
    )


@login_required
@require_GET
def venue_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The operations centre's venues: every main and branch venue, who runs it, and search."""
    if not access.may_manage_venues(request.user):
        raise Http404
    found = Venue.objects.select_related("party_org", "area").order_by("kind", "name")
    query = " ".join(request.GET.get("q", "").split())[:50]
    if query:
        found = found.filter(
            Q(name__icontains=query) | Q(address__icontains=query) | Q(party_org__name__icontains=query)
        )
    kind = request.GET.get("kind", "")
    if kind in Venue.Kind.values:
        found = found.filter(kind=kind)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    operators = venues.venue_operators(list(page.object_list))
    rows = [(venue, operators[venue.pk]) for venue in page.object_list]
    return render(
        request,
        "streaming/venue_list.html",
        {
            "page": page,
            "rows": rows,
            "q": query,
            "kind": kind,
            "kinds": Venue.Kind.choices,
            "query": urlencode({k: v for k, v in (("q", query), ("kind", kind)) if v}),  # kept by the pages' links
        },
    )


@login_required
def venue_edit(request: AuthenticatedHttpRequest, venue_id: int | None = None) -> HttpResponse:
    if not access.may_manage_venues(request.user):
        raise Http404
    venue = get_object_or_404(Venue, pk=venue_id) if venue_id else None
    form = VenueForm(request.POST or None, instance=venue)
    if request.method == "POST" and form.is_valid():
        venues.venue_save(form=form, by=request.user, request=request)
        messages.success(request, _("The venue has been saved."))
        return redirect("streaming:venue_list")
    return render(request, "streaming/venue_form.html", {"form": form, "venue": venue})


def _event_form(request: HttpRequest, form: EventForm, event: LiveEvent | None, save, done: str) -> HttpResponse:
    """The schedule form: `save(**fields)` is the service call (create or reschedule)."""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = ("title", "description", "agenda", "scheduled_start", "scheduled_end", "audience")
        fields = {name: data[name] for name in names}
        try:
            saved = save(**fields, main_venue=data["main_venue"], venues=list(data["venues"]))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, done)
            return redirect("streaming:host_console", event_id=saved.pk)
    return render(request, "streaming/event_form.html", {"form": form, "event": event})


@login_required
def event_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.may_organise_events(request.user):
        raise Http404
    form = EventForm(request.POST or None, organiser=request.user)
    return _event_form(
        request,
        form,
        None,
        lambda **fields: events.event_create(organiser=request.user, **fields),
        _("The event is scheduled; the invited venues have been told."),
    )


@login_required
def event_edit(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    event = access.access_event_by_id(request.user, event_id, for_host=True)
    initial = {
        "title": event.title,
        "description": event.description,
        "agenda": event.agenda,
        "scheduled_start": timezone.localtime(event.scheduled_start),
        "scheduled_end": timezone.localtime(event.scheduled_end),
        "audience": event.audience,
        "main_venue": event.main_venue,
        "venues": list(event.invited_venues.all()),
    }
    form = EventForm(request.POST or None, organiser=event.organiser, event=event, initial=initial)
    return _event_form(
        request,
        form,
        event,
        lambda **fields: events.event_schedule(event=event, by=request.user, **fields),
        _("Changes saved."),
    )


# --- Watching ----------------------------------------------------------------------------------


@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    try:
        event = access.access_event_by_id(request.user, event_id)
    except Http404:
        if request.user.is_authenticated:
            raise
        # Signed out: sign in first (the same answer whether the event exists or not).
        return redirect_to_login(request.get_full_path())
    my_venues = []
    if request.user.is_authenticated and event.state in (LiveEvent.State.SCHEDULED, LiveEvent.State.LIVE):
        operated = access.venues_operated_by(request.user)
        my_venues = list(operated.filter(invitations__event=event).order_by("name"))
        if event.main_venue and operated.filter(pk=event.main_venue.pk).exists():
            my_venues.insert(0, event.main_venue)
    context = _page_context(
        request,
        event,
        totals=selectors.event_totals(event),
        my_venues=my_venues,
        playback_url=integrations.playback_url(event) if event.is_live else None,
        replay_url=integrations.replay_url(event),
    )
    return render(request, "streaming/event_detail.html", context)


@never_cache
@require_GET
def event_status(request: HttpRequest, event_id: int) -> JsonResponse:
    """State and playback URL, for screens waiting for the video to come on air."""
    event = access.access_event_by_id(request.user, event_id)
    return JsonResponse(
        {
            "state": event.state,
            "playback_url": integrations.playback_url(event) if event.is_live else None,
            "video_available": integrations.video_available(),
        }
    )


# Screens report every HEARTBEAT_SECONDS; a few times that is plenty for reloads and retries.
HEARTBEAT_LIMIT_PER_MINUTE = 30


def _heartbeats_too_fast(request: HttpRequest, *key) -> bool:
    ident = ":".join(str(part) for part in (request.user.pk, *key))
    return ratelimit.hit("live-heartbeat", ident, window=60) > HEARTBEAT_LIMIT_PER_MINUTE


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json_loads(request.body or b"{}")
    except ValueError:
        raise ValidationError(_("The request was not understood.")) from None
    if not isinstance(body, dict):
        raise ValidationError(_("The request was not understood."))
    return body


@login_required
@require_POST
def watch_heartbeat(request: AuthenticatedHttpRequest, event_id: int) -> JsonResponse:
    """A signed-in person watching on their own device reports every few seconds."""
    event = access.access_event_by_id(request.user, event_id)
    if _heartbeats_too_fast(request, event.pk):
        return JsonResponse({"ok": False, "error": _("Too many requests; wait a moment.")}, status=429)
    try:
        body = _json_body(request)
        venues.member_watch_heartbeat(event=event, user=request.user, health=str(body.get("health", "")))
    except (ValidationError, PermissionDenied) as exc:
        return JsonResponse({"ok": False, "error": error_text(exc)}, status=400)
    return JsonResponse(
        {
            "ok": True,
            "state": event.state,
            "playback_url": integrations.playback_url(event) if event.is_live else None,
        }
    )


# --- A venue's big screen ------------------------------------------------------------------------


@login_required
@require_GET
def venue_screen(request: AuthenticatedHttpRequest, event_id: int, venue_id: int) -> HttpResponse:
    event, venue = access.access_event_venue(request.user, event_id, venue_id)
    attendance = VenueAttendance.objects.filter(event=event, venue=venue).first()
    form = CheckInForm(
        venue=venue,
        initial={
            "headcount": attendance.headcount if attendance and attendance.headcount else None,
            "members": list(attendance.members.all()) if attendance else [],
        },
    )
    context = _page_context(
        request,
        event,
        venue=venue,
        attendance=attendance,
        form=form,
        playback_url=integrations.playback_url(event) if event.is_live else None,
        replay_url=integrations.replay_url(event),
    )
    return render(request, "streaming/venue_screen.html", context)


@login_required
@require_POST
def venue_check_in(request: AuthenticatedHttpRequest, event_id: int, venue_id: int) -> HttpResponse:
    event, venue = access.access_event_venue(request.user, event_id, venue_id)
    form = CheckInForm(request.POST, request.FILES, venue=venue)
    error = None
    if form.is_valid():
        try:
            attendance = venues.venue_check_in(
                event=event,
                venue=venue,
                by=request.user,
                headcount=form.cleaned_data["headcount"],
                photo=form.cleaned_data["photo"],
                members=list(form.cleaned_data["members"]),
            )
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if wants_json(request):
        if error:
            return JsonResponse({"ok": False, "error": error}, status=400)
        return JsonResponse(
            {
                "ok": True,
                "headcount": attendance.headcount,
                "checked_in_at": attendance.checked_in_at.isoformat() if attendance.checked_in_at else None,
                "members": attendance.members.count(),
            }
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Checked in: %(n)s people.") % {"n": attendance.headcount})
    return redirect("streaming:venue_screen", event_id=event.pk, venue_id=venue.pk)


@login_required
@require_POST
def venue_heartbeat(request: AuthenticatedHttpRequest, event_id: int, venue_id: int) -> JsonResponse:
    event, venue = access.access_event_venue(request.user, event_id, venue_id)
    if _heartbeats_too_fast(request, event.pk, venue.pk):
        return JsonResponse({"ok": False, "error": _("Too many requests; wait a moment.")}, status=429)
    try:
        body = _json_body(request)
        venues.venue_heartbeat(
            event=event,
            venue=venue,
            by=request.user,
            health=str(body.get("health", "")),
            detail=str(body.get("detail", ""))[:200],
        )
    except (ValidationError, PermissionDenied) as exc:
        return JsonResponse({"ok": False, "error": error_text(exc)}, status=400)
    return JsonResponse(
        {
            "ok": True,
            "state": event.state,
            "playback_url": integrations.playback_url(event) if event.is_live else None,
        }
    )


@login_required
@require_GET
def venue_photo(request: AuthenticatedHttpRequest, event_id: int, attendance_id: int) -> HttpResponseBase:
    """A check-in photo, for the hosts and the venue's operators only (never a public media URL)."""
    event = access.access_event_by_id(request.user, event_id)
    attendance = VenueAttendance.objects.filter(event=event, pk=attendance_id).select_related("venue").first()
    if attendance is None or not attendance.photo:
        raise Http404
    if not (access.can_host_event(request.user, event) or access.can_operate_venue(request.user, attendance.venue)):
        raise Http404
    from django.http import FileResponse

    response = FileResponse(attendance.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- The host console ------------------------------------------------------------------------------


@login_required
@require_GET
def host_console(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    event = access.access_event_by_id(request.user, event_id, for_host=True)
    context = _page_context(
        request,
        event,
        roster=selectors.roster(event),
        totals=selectors.event_totals(event),
        questions=selectors.question_queue(event),
        announcement_form=AnnouncementForm(),
        cancel_form=CancelForm(),
        ingest_status=integrations.ingest_status(event),
        publish_widget=integrations.publish_widget_template(),
        rtmp_server=_rtmp_server(request),
    )
    return render(request, "streaming/host_console.html", context)


def _rtmp_server(request: HttpRequest) -> str:
    """Where an encoder pushes: as the video side says, else this host on the standard RTMP port."""
    configured = integrations.rtmp_server_url(request.get_host())
    if configured:
        return configured
    domain, _port = split_domain_port(request.get_host())
    return f"rtmp://{domain or '127.0.0.1'}:1935/live"


@never_cache
@login_required
@require_GET
def host_roster(request: AuthenticatedHttpRequest, event_id: int) -> JsonResponse:
    event = access.access_event_by_id(request.user, event_id, for_host=True)
    return JsonResponse(
        {
            "state": event.state,
            "venues": [row.as_dict() for row in selectors.roster(event)],
            "totals": selectors.event_totals(event).as_dict(),
        }
    )


@host_action
def host_start(request: AuthenticatedHttpRequest, event: LiveEvent) -> str:
    events.event_start(event=event, by=request.user)
    return _("The event is live. Venues join by themselves.")


@host_action
def host_end(request: AuthenticatedHttpRequest, event: LiveEvent) -> str:
    events.event_end(event=event, by=request.user)
    return _("The event has ended.")


@host_action
def host_cancel(request: AuthenticatedHttpRequest, event: LiveEvent) -> str:
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    events.event_cancel(event=event, by=request.user, reason=reason)
    return _("The event is cancelled; the invited venues have been told.")


@host_action
def host_rotate_key(request: AuthenticatedHttpRequest, event: LiveEvent) -> str:
    events.stream_key_rotate(event=event, by=request.user)
    return _("The stream key has been replaced; update it in the encoder.")


@host_action
def host_announce(request: AuthenticatedHttpRequest, event: LiveEvent) -> str:
    form = AnnouncementForm(request.POST)
    if not form.is_valid():
        raise ValidationError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    chat.announcement_push(event=event, by=request.user, text=form.cleaned_data["text"])
    return _("The announcement is on every screen.")


def _question(event: LiveEvent, question_id: int) -> Question:
    question = Question.objects.select_related("event").filter(event=event, pk=question_id).first()
    if question is None:
        raise Http404
    return question


@host_action
def host_question_answering(request: AuthenticatedHttpRequest, event: LiveEvent, question_id: int) -> str:
    chat.question_mark_answering(question=_question(event, question_id), by=request.user)
    return ""


@host_action
def host_question_answered(request: AuthenticatedHttpRequest, event: LiveEvent, question_id: int) -> str:
    chat.question_mark_answered(question=_question(event, question_id), by=request.user)
    return ""


@host_action
def host_chat_delete(request: AuthenticatedHttpRequest, event: LiveEvent, message_id: int) -> str:
    message = ChatMessage.objects.select_related("event").filter(event=event, pk=message_id).first()
    if message is None:
        raise Http404
    chat.chat_message_delete(message=message, by=request.user)
    return _("The message has been removed from every screen.")


# --- After the event ---------------------------------------------------------------------------------


@login_required
@require_GET
def event_report(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    event = access.access_event_by_id(request.user, event_id, for_host=True)
    report = selectors.attendance_report(event)
    questions = selectors.question_queue(event)
    return render(
        request,
        "streaming/event_report.html",
        {
            "event": event,
            "report": report,
            "questions": questions,
            "forum_ready": integrations.forum_question_from_live_available() and event.is_over,
        },
    )


@login_required
@require_GET
def event_report_xlsx(request: AuthenticatedHttpRequest, event_id: int) -> HttpResponse:
    event = access.access_event_by_id(request.user, event_id, for_host=True)
    content = attendance_workbook(selectors.attendance_report(event))
    return xlsx_response(content, f"attendance-{event.pk}-{timezone.localtime(event.scheduled_start):%Y%m%d}.xlsx")


@login_required
def question_to_forum(request: AuthenticatedHttpRequest, event_id: int, question_id: int) -> HttpResponse:
    event = access.access_event_by_id(request.user, event_id, for_host=True)
    question = _question(event, question_id)
    if not integrations.forum_question_from_live_available():
        raise Http404
    forums = integrations.postable_forums(request.user)
    form = ForumQuestionForm(request.POST or None, forums=forums)
    if request.method == "POST" and form.is_valid():
        try:
            chat.question_to_forum(
                question=question,
                host=request.user,
                forum=form.cleaned_data["forum"],
                answer_text=form.cleaned_data["answer"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The question and its answer are in the forum."))
            return redirect("streaming:event_report", event_id=event.pk)
    return render(
        request, "streaming/question_forum.html", {"event": event, "question": question, "form": form, "forums": forums}
    )
