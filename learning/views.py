"""Views of the cloud classroom: thin — parse, check access, call a service or selector, render.

Course, lesson and index pages are Wagtail pages (learning/models.py); their `get_context` calls
the *_context functions here, so that Wagtail's serving, previews and these views share one code
path. /courses/ is also a named URL (learning:course_index) for the portal tile.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import AuthenticatedHttpRequest, is_member_audience, memberships_of
from core.resumable import tus_creation, tus_upload
from core.spreadsheets import xlsx_response
from learning.access import (
    access_course_by_id,
    access_feed_user,
    access_lesson_by_id,
    access_organiser_org_by_id,
    organiser_orgs,
)
from learning.exports import record_workbook
from learning.models import CourseIndexPage, CoursePage, LessonKind, LessonPage, Visibility
from learning.responses import storage_file_response
from learning.selectors import (
    course_index_context,
    course_list,
    learning_record,
    month_chart,
    org_course_completion,
    org_figures,
    podcast_lessons,
    poster_url,
    year_progress,
)
from learning.services.feeds import feed_token_enable, feed_token_regenerate, feed_token_revoke
from learning.services.progress import ProgressError, lesson_mark_done
from learning.signing import content_type_for, feed_key, media_signature_valid
from learning.uploads import MEDIA_UPLOADS

# --- Pages ----------------------------------------------------------------------------------


def course_index(request: HttpRequest) -> HttpResponse:
    """/courses/: the CourseIndexPage if there is one, else the same listing without a page."""
    index = CourseIndexPage.objects.live().first()
    if index is not None:
        if index.url and index.url != request.path:
            return redirect(index.url + (f"?{request.GET.urlencode()}" if request.GET else ""))
        return index.serve(request)
    return render(request, "learning/course_index_page.html", {"page": None, **course_index_context(request)})


@login_required
@require_POST
def lesson_link_open(request: AuthenticatedHttpRequest, lesson_id: int) -> HttpResponse:
    """An external lesson's link-out: recorded as learning activity, then off to the other platform."""
    lesson = access_lesson_by_id(request.user, lesson_id)
    if lesson.kind != LessonKind.LINK or not lesson.external_url:
        raise Http404
    try:
        lesson_mark_done(user=request.user, lesson=lesson)
    except ProgressError as exc:  # not expected for links; the member still gets where they wanted
        messages.error(request, str(exc))
    return HttpResponseRedirect(lesson.external_url)


# --- Media ----------------------------------------------------------------------------------


@require_GET
def media_file(request: HttpRequest, key: str, expires: int, signature: str, path: str) -> HttpResponseBase:
    """One file of a media package, if the URL's signature is valid and unexpired. No database query."""
    content_type = content_type_for(path)
    if content_type is None or not media_signature_valid(key, expires, signature):
        raise Http404
    max_age = max(0, min(int(expires - time.time()), 24 * 3600))
    download = request.GET.get("download")
    return storage_file_response(
        request,
        f"learning/media/{key}/{path}",
        content_type=content_type,
        cache_control=f"private, max-age={max_age}",
        download_name=(download[:80] + ".m4a") if download and path.endswith(".m4a") else None,
    )


# --- The learning record ---------------------------------------------------------------------


def _own_record(user):
    from streaming.selectors import learning_credits_for

    data = learning_record(user)
    start_of_year = timezone.localtime().replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    credits = learning_credits_for(user, since=start_of_year)
    return data, credits, year_progress(user, live_seconds=credits.total_seconds)


@login_required
def record(request: AuthenticatedHttpRequest) -> HttpResponse:
    data, credits, year = _own_record(request.user)
    peak = max((row.seconds for row in data.months), default=0) or 1
    return render(
        request,
        "learning/record.html",
        {
            "record": data,
            "year": year,
            "credits": credits,
            "chart": month_chart(data.months, peak=peak),
            "class_hour_minutes": settings.LEARNING_CLASS_HOUR_MINUTES,
            "is_organiser": organiser_orgs(request.user).exists(),
        },
    )


@login_required
def record_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's own record as Excel: only ever the signed-in person's."""
    data, credits, year = _own_record(request.user)
    body = record_workbook(name=request.user.get_full_name(), record=data, year=year, credits=credits)
    return xlsx_response(body, f"learning-record-{year.year}.xlsx")


@login_required
def org_record(request: AuthenticatedHttpRequest) -> HttpResponse:
    orgs = organiser_orgs(request.user).order_by("path")
    if not orgs.exists():
        raise Http404
    page = Paginator(orgs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "learning/org_record.html",
        {"page": page, "figures": org_figures(list(page.object_list)), "today": timezone.localdate()},
    )


@login_required
def org_record_detail(request: AuthenticatedHttpRequest, org_id: int) -> HttpResponse:
    org = access_organiser_org_by_id(request.user, org_id)
    figures = org_figures([org])[0]
    return render(
        request,
        "learning/org_record_detail.html",
        {"org": org, "figures": figures, "courses": org_course_completion(org)},
    )


# --- Podcast feeds ----------------------------------------------------------------------------


@login_required
def podcasts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's podcast subscriptions: their secret feed URLs, to regenerate or revoke."""
    if not is_member_audience(request.user):
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "enable":
            feed_token_enable(user=request.user)
            messages.success(request, _("Your podcast links are ready."))
        elif action == "regenerate":
            feed_token_regenerate(user=request.user)
            messages.success(request, _("New podcast links made; the old ones no longer work."))
        elif action == "revoke":
            feed_token_revoke(user=request.user)
            messages.success(request, _("Your podcast links were switched off."))
        return redirect("learning:podcasts")
    from learning.models import FeedToken

    token = FeedToken.objects.filter(user=request.user, active=True).first()
    courses = []
    if token is not None:
        key = feed_key(request.user.pk, token.generation)
        for course in course_list(request.user).exclude(visibility=Visibility.PUBLIC)[:100]:
            url = request.build_absolute_uri(reverse("learning:podcast_private", args=[key, course.pk]))
            courses.append((course, url))
    return render(
        request,
        "learning/podcasts.html",
        {"token": token, "courses": courses, "has_roles": bool(memberships_of(request.user))},
    )


def _rss(request: HttpRequest, course: CoursePage, lessons: list[LessonPage], audio_url) -> HttpResponse:
    # podcast_lessons gives only lessons with a ready audio file, so each has its media.
    with_media = [(lesson, lesson.media) for lesson in lessons if lesson.media is not None]
    poster = poster_url(with_media[0][1]) if with_media else None
    body = render_to_string(
        "learning/podcast.xml",
        {
            "course": course,
            "course_url": request.build_absolute_uri(course.url or "/"),
            "items": [
                {
                    "lesson": lesson,
                    "url": request.build_absolute_uri(audio_url(lesson)),
                    "link": request.build_absolute_uri(lesson.url or "/"),
                    "size": media.audio_file_size,
                    "duration": int(round(media.duration or 0)),
                    "pub_date": lesson.first_published_at or media.created_at,
                }
                for lesson, media in with_media
            ],
            "image": request.build_absolute_uri(poster) if poster else None,
        },
        request=request,
    )
    response = HttpResponse(body, content_type="application/rss+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=600"
    return response


@require_GET
def podcast_public(request: HttpRequest, course_id: int) -> HttpResponse:
    course = CoursePage.objects.live().filter(pk=course_id, visibility=Visibility.PUBLIC).first()
    if course is None:
        raise Http404
    lessons = podcast_lessons(None, course)
    return _rss(request, course, lessons, lambda lesson: reverse("learning:podcast_public_audio", args=[lesson.pk]))


@require_GET
def podcast_private(request: HttpRequest, key: str, course_id: int) -> HttpResponse:
    user = access_feed_user(key)
    course = access_course_by_id(user, course_id)
    lessons = podcast_lessons(user, course)
    return _rss(
        request, course, lessons, lambda lesson: reverse("learning:podcast_private_audio", args=[key, lesson.pk])
    )


def _audio_response(request: HttpRequest, lesson: LessonPage, cache: str) -> HttpResponseBase:
    media = lesson.media if lesson.is_media else None
    if media is None or not (media.is_ready and media.has_audio_file):
        raise Http404
    path = media.storage_path("audio.m4a")
    return storage_file_response(request, path, content_type="audio/mp4", cache_control=cache)


@require_GET
def podcast_public_audio(request: HttpRequest, lesson_id: int) -> HttpResponseBase:
    # The public URL serves only what anyone may hear, whoever asks.
    lesson = access_lesson_by_id(AnonymousUser(), lesson_id)
    return _audio_response(request, lesson, "public, max-age=86400")


@require_GET
def podcast_private_audio(request: HttpRequest, key: str, lesson_id: int) -> HttpResponseBase:
    user = access_feed_user(key)
    lesson = access_lesson_by_id(user, lesson_id)
    return _audio_response(request, lesson, "private, max-age=3600")


# --- Resumable uploads of lesson media (tus; the editor's upload field, learning/js/resumable_upload.js) ---


def media_uploads(request: HttpRequest) -> HttpResponse:
    return tus_creation(request, MEDIA_UPLOADS, location=lambda token: reverse("learning:media_upload", args=[token]))


def media_upload(request: HttpRequest, token: str) -> HttpResponse:
    return tus_upload(request, token, MEDIA_UPLOADS)
