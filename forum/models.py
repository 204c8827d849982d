"""Q&A state on top of machina's forums, topics and posts.

machina keeps the conversation (Forum, Topic, Post with its counters and tracking); these models
say what each piece *is* in a question-and-answer exchange, so lists can filter by state and pages
can nest follow-ups under the answer they ask about:

- ForumPolicy: who may read a forum (everyone, or one party organisation's members) and whether a
  newcomer's posts wait for a moderator.
- Question: one per topic, with its state (unanswered / answered / solved) and accepted answer.
- PostRole: one per post: the question, an answer, a follow-up (追问) on the question or on an
  answer, or a supplementary answer (补充回答) on an answer.
- PostReport: a member's report of a post, for the moderators.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import PartyOrg


class ForumPolicy(models.Model):
    forum = models.OneToOneField(
        "forum.Forum", on_delete=models.CASCADE, primary_key=True, related_name="qa_policy", verbose_name=_("forum")
    )
    party_org = models.ForeignKey(
        PartyOrg,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forums",
        verbose_name=_("private to party organisation"),
        help_text=_("Only members of this organisation and of the organisations under it see the forum."),
    )
    moderate_newcomers = models.BooleanField(
        _("moderate newcomers"),
        default=False,
        help_text=_("Posts by members with few approved posts wait for a moderator before they appear."),
    )
    newcomer_threshold = models.PositiveSmallIntegerField(
        _("approved posts before posting freely"),
        default=3,
    )

    class Meta:
        verbose_name = _("forum policy")
        verbose_name_plural = _("forum policies")

    def __str__(self) -> str:
        return str(self.forum_id)

    @property
    def is_private(self) -> bool:
        return self.party_org_id is not None


class Question(models.Model):
    class Status(models.IntegerChoices):
        UNANSWERED = 0, _("Unanswered")
        ANSWERED = 1, _("Answered")
        SOLVED = 2, _("Solved")

    class Source(models.TextChoices):
        FORUM = "forum", _("Asked in the forum")
        LIVE = "live", _("Asked during a live event")

    topic = models.OneToOneField(
        "forum_conversation.Topic", on_delete=models.CASCADE, primary_key=True, related_name="qa"
    )
    status = models.PositiveSmallIntegerField(
        _("status"), choices=Status.choices, default=Status.UNANSWERED, db_index=True
    )
    answers_count = models.PositiveIntegerField(_("answers"), default=0)
    accepted_answer = models.OneToOneField(
        "forum_conversation.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accepted_for",
        verbose_name=_("accepted answer"),
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.FORUM)
    source_title = models.CharField(_("live event"), max_length=200, blank=True)
    # core.search.index_terms of the subject and every approved post, framed by spaces so that
    # "contains ' term '" matches whole terms only.
    search_terms = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return str(self.topic_id)

    def refresh_status(self) -> None:
        if self.accepted_answer_id:
            self.status = self.Status.SOLVED
        elif self.answers_count:
            self.status = self.Status.ANSWERED
        else:
            self.status = self.Status.UNANSWERED


class PostRole(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        ANSWER = "answer", _("Answer")
        FOLLOW_UP = "follow_up", _("Follow-up question")
        SUPPLEMENT = "supplement", _("Supplementary answer")

    post = models.OneToOneField(
        "forum_conversation.Post", on_delete=models.CASCADE, primary_key=True, related_name="qa"
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    # A follow-up hangs under the question or an answer; a supplement under an answer.
    parent = models.ForeignKey(
        "forum_conversation.Post",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="qa_children",
    )

    class Meta:
        verbose_name = _("post role")
        verbose_name_plural = _("post roles")
        indexes = [models.Index(fields=["parent", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["question", "answer"], parent__isnull=True)
                    | models.Q(kind__in=["follow_up", "supplement"], parent__isnull=False)
                ),
                name="qa_postrole_parent_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.post_id} {self.kind}"


class PostReport(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Advertising or spam")
        ABUSE = "abuse", _("Abusive or offensive")
        MISLEADING = "misleading", _("Wrong or misleading information")
        PRIVACY = "privacy", _("Reveals someone's personal information")
        OFF_TOPIC = "off_topic", _("Off topic")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        REMOVED = "removed", _("Post removed")

    post = models.ForeignKey("forum_conversation.Post", on_delete=models.SET_NULL, null=True, related_name="qa_reports")
    # Kept when the post is removed, so the moderators' record still says what was reported.
    post_excerpt = models.CharField(_("post"), max_length=300, blank=True)
    forum = models.ForeignKey("forum.Forum", on_delete=models.CASCADE, related_name="+", verbose_name=_("forum"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("reported by")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("details"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("post report")
        verbose_name_plural = _("post reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "forum"])]
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="qa_report_once_per_post")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.post_excerpt[:40]}"
