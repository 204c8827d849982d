"""Views of the cloud classroom: thin — parse, check access, call a service or selector, render.

Course, lesson and index pages are Wagtail pages (learning/models.py); their `get_context` calls
the *_context functions here, so that Wagtail's serving, previews and these views share one code
path. /courses/ is also a named URL (learning:course_index) for the portal tile.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import memberships_of
from learning.access import (
    access_course_by_id,
    access_feed_user,
    access_lesson_by_id,
    access_organiser_org_by_id,
    course_of,
    is_member_like,
    organiser_orgs,
)
from learning.models import CourseIndexPage, CoursePage, LessonKind, LessonPage, Topic, Visibility
from learning.responses import storage_file_response
from learning.selectors import (
    course_cards,
    course_list,
    course_outline,
    learning_record,
    lesson_neighbours,
    lesson_progress,
    org_course_completion,
    org_figures,
    podcast_lessons,
    poster_url,
)
from learning.services.feeds import feed_token_enable, feed_token_regenerate, feed_token_revoke
from learning.services.progress import ProgressError, lesson_mark_done, min_read_seconds, progress_ticket
from learning.signing import content_type_for, feed_key, media_signature_valid, media_url

COURSES_PER_PAGE = 12


# --- Pages ----------------------------------------------------------------------------------


def course_index(request: HttpRequest) -> HttpResponse:
    """/courses/: the CourseIndexPage if there is one, else the same listing without a page."""
    index = CourseIndexPage.objects.live().first()
    if index is not None:
        if index.url and index.url != request.path:
            return redirect(index.url + (f"?{request.GET.urlencode()}" if request.GET else ""))
        return index.serve(request)
    return render(request, "learning/course_index_page.html", {"page": None, **course_index_context(request)})


def course_index_context(request: HttpRequest) -> dict:
    topic = request.GET.get("topic") or ""
    query = " ".join((request.GET.get("q") or "").split())[:60]
    courses = course_list(request.user, topic=topic, query=query)
    page = Paginator(courses, COURSES_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "topics": Topic.choices,
        "topic": topic if topic in Topic.values else "",
        "query": query,
        "courses_page": page,
        "cards": course_cards(request.user, list(page.object_list)),
        "show_sign_in_hint": not request.user.is_authenticated,
        "base_qs": _query_without_page(request),
    }


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def course_page_context(request: HttpRequest, course: CoursePage) -> dict:
    outline = course_outline(request.user, course)
    completed = sum(1 for item in outline if item.progress and item.progress.completed_at)
    resume = next((item for item in outline if not (item.progress and item.progress.completed_at)), None)
    has_audio = any(item.lesson.is_media and item.lesson.media_id for item in outline)
    return {
        "outline": outline,
        "completed": completed,
        "percent": round(100 * completed / len(outline)) if outline else 0,
        "resume": resume,
        "podcast_url": podcast_url_for(request, course) if has_audio else None,
        "is_public": course.visibility == Visibility.PUBLIC,
    }


def podcast_url_for(request: HttpRequest, course: CoursePage) -> str | None:
    """The feed URL to give this visitor: the public one, or their own secret one (made on first use)."""
    if course.visibility == Visibility.PUBLIC:
        return request.build_absolute_uri(reverse("learning:podcast_public", args=[course.pk]))
    if not request.user.is_authenticated:
        return None
    token = getattr(request.user, "learning_feed", None)  # None when the member has no key yet
    if token is None or not token.active:
        return None
    key = feed_key(request.user.pk, token.generation)
    return request.build_absolute_uri(reverse("learning:podcast_private", args=[key, course.pk]))


def _player_config(request: HttpRequest, lesson: LessonPage, progress) -> dict:
    asset = lesson.media
    config = {
        "lesson": lesson.pk,
        "kind": lesson.kind,
        "duration": asset.duration,
        "position": progress.position if progress and not progress.completed_at else 0,
        "watched": progress.watched_seconds if progress else 0,
        "completed": bool(progress and progress.completed_at),
        "master": media_url(asset.storage_key, "master.m3u8"),
        "audio": media_url(asset.storage_key, asset.audio_playlist) if asset.audio_playlist else None,
        "poster": poster_url(asset),
        "renditions": [{"name": r["name"], "height": r["height"], "width": r["width"]} for r in asset.renditions],
        "ticket": progress_ticket(user=request.user, lesson=lesson) if request.user.is_authenticated else None,
        "progressUrl": reverse("api:learning_progress_report", kwargs={"lesson_id": lesson.pk}),
        "refreshUrl": reverse("api:learning_lesson_detail", kwargs={"lesson_id": lesson.pk}),
        "signedIn": request.user.is_authenticated,
        "audioOnly": lesson.kind == LessonKind.AUDIO or not asset.renditions,
    }
    return config


def player_strings() -> dict:
    return {
        "resumed": _("Resumed at %(time)s where you stopped."),
        "saved": _("Progress saved."),
        "completed": _("Lesson completed."),
        "offline": _("Could not save your progress (no connection?). It will be sent again."),
        "expired": _("This page has expired. Reload it to go on recording your progress."),
        "unsupported": _("This browser cannot play the video. Try another browser or update it."),
        "mediaError": _("The video could not be loaded. Check your connection and reload the page."),
        "audioMode": _("Audio only: the picture is off to save data."),
        "videoMode": _("Back to video."),
        "watched": _("Watched %(watched)s of %(total)s"),
    }


def lesson_page_context(request: HttpRequest, lesson: LessonPage) -> dict:
    course = course_of(lesson)
    progress = lesson_progress(request.user, lesson)
    previous, following = lesson_neighbours(request.user, course, lesson)
    context = {
        "course": course,
        "progress": progress,
        "previous_lesson": previous,
        "next_lesson": following,
        "media_ready": bool(lesson.is_media and lesson.media_id and lesson.media.is_ready),
    }
    if context["media_ready"]:
        context["player_config"] = _player_config(request, lesson, progress)
        context["player_strings"] = player_strings()
        if lesson.media.has_audio_file:
            context["download_url"] = media_url(lesson.media.storage_key, "audio.m4a")
    if lesson.kind == LessonKind.ARTICLE and request.user.is_authenticated:
        context["article_config"] = {
            "ticket": progress_ticket(user=request.user, lesson=lesson),
            "readUrl": reverse("api:learning_lesson_done", kwargs={"lesson_id": lesson.pk}),
            "minSeconds": min_read_seconds(lesson),
            "completed": bool(progress and progress.completed_at),
        }
    return context


@login_required
@require_POST
def lesson_link_open(request: HttpRequest, lesson_id: int) -> HttpResponse:
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
def media_file(request: HttpRequest, key: str, expires: int, signature: str, path: str) -> HttpResponse:
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


@login_required
def record(request: HttpRequest) -> HttpResponse:
    data = learning_record(request.user)
    peak = max((row.seconds for row in data.months), default=0) or 1
    return render(
        request,
        "learning/record.html",
        {
            "record": data,
            "peak": peak,
            "is_organiser": organiser_orgs(request.user).exists(),
        },
    )


@login_required
def org_record(request: HttpRequest) -> HttpResponse:
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
def org_record_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_organiser_org_by_id(request.user, org_id)
    figures = org_figures([org])[0]
    return render(
        request,
        "learning/org_record_detail.html",
        {"org": org, "figures": figures, "courses": org_course_completion(org)},
    )


# --- Podcast feeds ----------------------------------------------------------------------------


@login_required
def podcasts(request: HttpRequest) -> HttpResponse:
    """The member's podcast subscriptions: their secret feed URLs, to regenerate or revoke."""
    if not is_member_like(request.user):
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
                    "size": lesson.media.audio_file_size,
                    "duration": int(round(lesson.media.duration or 0)),
                    "pub_date": lesson.first_published_at or lesson.media.created_at,
                }
                for lesson in lessons
            ],
            "image": request.build_absolute_uri(poster_url(lessons[0].media))
            if lessons and lessons[0].media.has_poster
            else None,
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


def _audio_response(request: HttpRequest, lesson: LessonPage, cache: str) -> HttpResponse:
    if not (lesson.is_media and lesson.media_id and lesson.media.is_ready and lesson.media.has_audio_file):
        raise Http404
    return storage_file_response(
        request, lesson.media.storage_path("audio.m4a"), content_type="audio/mp4", cache_control=cache
    )


@require_GET
def podcast_public_audio(request: HttpRequest, lesson_id: int) -> HttpResponse:
    # The public URL serves only what anyone may hear, whoever asks.
    lesson = access_lesson_by_id(AnonymousUser(), lesson_id)
    return _audio_response(request, lesson, "public, max-age=86400")


@require_GET
def podcast_private_audio(request: HttpRequest, key: str, lesson_id: int) -> HttpResponse:
    user = access_feed_user(key)
    lesson = access_lesson_by_id(user, lesson_id)
    return _audio_response(request, lesson, "private, max-age=3600")
