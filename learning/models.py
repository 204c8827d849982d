"""The cloud classroom (云课堂): courses and lessons as Wagtail pages, media assets, progress.

Tree: HomePage (/) → CourseIndexPage (/courses/) → CoursePage → LessonPage

A course is public, for members only, or limited to chosen party organisations; a lesson may
narrow that further (a replay for one branch inside the shared "直播回放" course). Every read
by a user goes through learning/access.py. Video and audio lessons play a MediaAsset that the
pipeline (learning/services/media.py) turned into an HLS ladder, an audio-only rendition, a
downloadable m4a and a poster, stored through Django's storage API.
"""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import models
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from core.search import index_terms

# Extensions an editor may upload; the content is probed by ffmpeg whatever the name says.
MEDIA_EXTENSIONS = [
    "mp4",
    "m4v",
    "mov",
    "mkv",
    "webm",
    "avi",
    "flv",
    "3gp",
    "ts",
    "mp3",
    "m4a",
    "aac",
    "wav",
    "ogg",
    "oga",
    "opus",
    "flac",
    "amr",
    "wma",
    "wmv",
]


class Topic(models.TextChoices):
    PARTY_HISTORY = "party_history", _("Party history")
    CONSTITUTION = "constitution", _("Party constitution and rules")
    THEORY = "theory", _("Theory lectures")
    SKILLS = "skills", _("Skills training")
    WARNING = "warning", _("Discipline and warning education")
    RURAL = "rural", _("Rural revitalisation")
    POLICY = "policy", _("Policies and regulations")
    REPLAY = "replay", _("Live replays")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Members only")
    ORGS = "orgs", _("Chosen party organisations only")


class LessonVisibility(models.TextChoices):
    COURSE = "course", _("Same as the course")
    MEMBERS = "members", _("Members only")
    ORGS = "orgs", _("Chosen party organisations only")


class LessonKind(models.TextChoices):
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    ARTICLE = "article", _("Article")
    LINK = "link", _("External link")


def _text_of(html: str) -> str:
    return re.sub(r"\s+", " ", strip_tags(html or "")).strip()


def _check_orgs(visibility: str, orgs_field: str, orgs, errors: dict) -> None:
    chosen = list(orgs.all()) if hasattr(orgs, "all") else list(orgs or [])
    if visibility == Visibility.ORGS and not chosen:
        errors[orgs_field] = _("Choose at least one party organisation, or change who can see this.")


class CourseIndexPage(Page):
    """/courses/: every course the visitor may see, with a topic filter and search."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["learning.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("course index")

    def get_context(self, request, *args, **kwargs):
        from learning.selectors import course_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_index_context(request))
        return context


class CoursePage(Page):
    """A course: an outline of lessons, with the member's progress through it."""

    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, default=Topic.THEORY)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = RichTextField(_("description"), blank=True, features=["h3", "bold", "italic", "ol", "ul", "link"])
    teacher = models.CharField(_("teacher"), max_length=60, blank=True)
    visibility = models.CharField(
        _("who can see it"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    orgs = ParentalManyToManyField(
        "core.PartyOrg",
        blank=True,
        related_name="+",
        verbose_name=_("party organisations"),
        help_text=_("Members of these organisations and of the organisations under them."),
    )
    search_terms = models.TextField(editable=False, blank=True, default="")

    content_panels = [
        *Page.content_panels,
        FieldPanel("topic"),
        FieldPanel("teacher"),
        FieldPanel("summary"),
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("visibility"), FieldPanel("orgs", widget=forms.SelectMultiple(attrs={"size": 10}))],
            heading=_("Visibility"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.FilterField("topic")]
    parent_page_types = ["learning.CourseIndexPage"]
    subpage_types = ["learning.LessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def clean(self) -> None:
        super().clean()
        errors: dict = {}
        _check_orgs(self.visibility, "orgs", self.orgs, errors)
        if errors:
            raise ValidationError(errors)

    # The search terms are derived from the fields on every save, so that publishing from the
    # admin, from a revision or from a service all keep them right.
    def save(self, *args, **kwargs):
        self.search_terms = " " + index_terms(self.title, self.summary, self.teacher, _text_of(self.description)) + " "
        return super().save(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        from learning.access import require_course_visible

        require_course_visible(request.user, self)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from learning.selectors import course_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_page_context(request, self))
        return context


class LessonPage(Page):
    """One lesson: a video, an audio, an article, or a link out to another learning platform."""

    kind = models.CharField(_("type"), max_length=10, choices=LessonKind.choices, default=LessonKind.VIDEO)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    media = models.ForeignKey(
        "learning.MediaAsset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lessons",
        verbose_name=_("video or audio"),
    )
    body = RichTextField(
        _("text"), blank=True, features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "blockquote"]
    )
    external_url = models.URLField(
        _("external link"),
        blank=True,
        max_length=500,
        help_text=_("e.g. a course on 学习强国 or a provincial learning platform"),
    )
    study_minutes = models.PositiveSmallIntegerField(
        _("study time (minutes)"),
        default=0,
        validators=[MaxValueValidator(600)],
        help_text=_(
            "Counted in the learning record for articles and external links; "
            "video and audio count the time actually watched."
        ),
    )
    visibility = models.CharField(
        _("who can see it"), max_length=10, choices=LessonVisibility.choices, default=LessonVisibility.COURSE
    )
    orgs = ParentalManyToManyField("core.PartyOrg", blank=True, related_name="+", verbose_name=_("party organisations"))
    search_terms = models.TextField(editable=False, blank=True, default="")

    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("summary"),
        FieldPanel("media"),
        FieldPanel("body"),
        FieldPanel("external_url"),
        FieldPanel("study_minutes"),
        MultiFieldPanel(
            [FieldPanel("visibility"), FieldPanel("orgs", widget=forms.SelectMultiple(attrs={"size": 10}))],
            heading=_("Visibility"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary")]
    parent_page_types = ["learning.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def clean(self) -> None:
        super().clean()
        errors: dict = {}
        if self.kind in (LessonKind.VIDEO, LessonKind.AUDIO) and not self.media_id:
            errors["media"] = _("Choose the video or audio file of this lesson.")
        if self.kind == LessonKind.VIDEO and self.media_id and self.media.kind == MediaAsset.Kind.AUDIO:
            errors["media"] = _("This file has no picture: make the lesson an audio lesson.")
        if self.kind == LessonKind.ARTICLE and not _text_of(self.body):
            errors["body"] = _("Write the text of the article.")
        if self.kind == LessonKind.LINK and not self.external_url:
            errors["external_url"] = _("Enter the address of the external course.")
        _check_orgs(self.visibility, "orgs", self.orgs, errors)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.search_terms = " " + index_terms(self.title, self.summary, _text_of(self.body)) + " "
        return super().save(*args, **kwargs)

    @property
    def is_media(self) -> bool:
        return self.kind in (LessonKind.VIDEO, LessonKind.AUDIO)

    def duration(self) -> float:
        """Seconds of content for progress: the media's length, or the study time of text and links."""
        if self.is_media:
            return float(self.media.duration or 0) if self.media_id else 0.0
        return float(self.study_minutes * 60)

    def course_page(self) -> CoursePage:
        """The course this lesson belongs to (its parent page), in one query; cached on the lesson.
        Raises CoursePage.DoesNotExist for a lesson moved out from under a course."""
        cached = getattr(self, "_course_page", None)
        if cached is None:
            cached = CoursePage.objects.get(path=self.path[: -Page.steplen])
            self._course_page = cached
        return cached

    def serve(self, request, *args, **kwargs):
        from learning.access import require_lesson_visible

        require_lesson_visible(request.user, self)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from learning.selectors import lesson_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_page_context(request, self))
        return context


class MediaAsset(models.Model):
    """An uploaded video or audio file and what the pipeline made of it."""

    class Kind(models.TextChoices):
        UNKNOWN = "", _("Not known yet")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        PROBING = "probing", _("Checking the file")
        TRANSCODING = "transcoding", _("Converting")
        STORING = "storing", _("Saving")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    RUNNING = (Status.PROBING, Status.TRANSCODING, Status.STORING)
    FINISHED = (Status.READY, Status.FAILED, Status.CANCELLED)

    title = models.CharField(_("title"), max_length=200)
    # Blank only for packages imported ready-made (live replays); uploads always have a file.
    source = models.FileField(
        _("file"),
        upload_to="learning/sources/",
        max_length=255,
        blank=True,
        validators=[FileExtensionValidator(MEDIA_EXTENSIONS)],
        help_text=_(
            "A video (MP4, MOV, MKV, WebM …) or audio file (MP3, M4A, WAV …). It is converted for "
            "phones in the background; you can leave this page."
        ),
    )
    source_name = models.CharField(_("original file name"), max_length=255, blank=True)
    source_size = models.BigIntegerField(_("file size"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, blank=True, default=Kind.UNKNOWN)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(_("progress"), default=0.0)
    attempt = models.PositiveIntegerField(default=0, editable=False)
    cancel_requested = models.BooleanField(default=False, editable=False)
    error_code = models.CharField(max_length=40, blank=True, editable=False)
    error_params = models.JSONField(default=dict, blank=True, editable=False)
    error_detail = models.TextField(blank=True, editable=False)
    # What the probe found.
    duration = models.FloatField(_("duration (seconds)"), null=True, blank=True, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    probe = models.JSONField(default=dict, blank=True, editable=False)
    # Where the output is: learning/media/<storage_key>/… (a new key on every successful run).
    storage_key = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    renditions = models.JSONField(default=list, blank=True, editable=False)
    # The audio-only rendition's playlist inside the package (党课随身听), if there is one.
    audio_playlist = models.CharField(max_length=200, blank=True, editable=False)
    has_audio_file = models.BooleanField(default=False, editable=False)
    audio_file_size = models.BigIntegerField(default=0, editable=False)
    has_poster = models.BooleanField(default=False, editable=False)
    # Who runs it: the worker's ffmpeg process group, for operators; heartbeat shows it is alive.
    worker_pid = models.IntegerField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    panels = [FieldPanel("title"), FieldPanel("source")]

    class Meta:
        verbose_name = _("video or audio file")
        verbose_name_plural = _("video and audio files")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.storage_key)

    @property
    def has_audio_rendition(self) -> bool:
        return bool(self.audio_playlist)

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def error_message(self) -> str:
        from learning.services.errors import error_message

        return error_message(self.error_code, self.error_params) if self.error_code else ""

    def storage_path(self, name: str = "") -> str:
        return f"learning/media/{self.storage_key}/{name}"


class LessonProgress(models.Model):
    """How much of one lesson one member has taken in, merged over all their devices."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="progress")
    # The lesson's course when the member started it, so that records group by course in SQL.
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="+")
    # Merged [start, end] seconds actually played; seeking ahead leaves a gap.
    intervals = models.JSONField(default=list, blank=True)
    watched_seconds = models.FloatField(default=0.0)
    position = models.FloatField(default=0.0)
    # Device nonce → unix time of its last accepted report, to bound what it may claim next.
    devices = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="learning_progress_unique")]
        indexes = [models.Index(fields=["course", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"


class LearningDay(models.Model):
    """Seconds of new learning one member did in one lesson on one day: the learning record's unit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("learning time")
        verbose_name_plural = _("learning time")
        constraints = [models.UniqueConstraint(fields=["user", "lesson", "day"], name="learning_day_unique")]
        indexes = [models.Index(fields=["user", "day"]), models.Index(fields=["day"])]


class FeedToken(models.Model):
    """A member's secret podcast-feed key. The key is an HMAC of (user, generation), never stored;
    regenerating bumps the generation, which turns every old feed URL into a 404."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_feed")
    generation = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("podcast feed key")
        verbose_name_plural = _("podcast feed keys")
