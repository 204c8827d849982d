"""Questions asked during a live event, turned into forum questions by the host afterwards."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.models import User
from forum.access import Forum, PermissionHandler, Topic
from forum.models import Question

SUBJECT_LENGTH = 60
_SENTENCE_END = re.compile(r"[？?。！!\n]")


def _subject_from(text: str) -> str:
    """The question's first sentence, shortened to fit a title."""
    text = " ".join(text.split())
    match = _SENTENCE_END.search(text)
    first = text[: match.end()] if match and match.end() >= 6 else text
    first = first.rstrip("\n")
    return first if len(first) <= SUBJECT_LENGTH else first[: SUBJECT_LENGTH - 1] + "…"


def question_from_live(
    *,
    host: User,
    forum: Forum,
    question_text: str,
    asker_name: str,
    answer_text: str,
    event_title: str,
) -> Topic:
    """Publish a question asked live, with the answer the host gave, as a solved forum question.

    The host is the poster of both (the person who asked live may have no account); the question
    says who asked and in which event. The host must be allowed to start topics in the forum
    (PermissionDenied otherwise), and the forum's pre-moderation applies as to any other post.
    Returns the machina Topic.
    """
    from forum.services.index import question_index_rebuild
    from forum.services.posts import answer_accept, answer_post, question_ask

    question_text = (question_text or "").strip()
    answer_text = (answer_text or "").strip()
    if not question_text or not answer_text:
        raise ValidationError(_("A live question needs both the question and the answer."), code="empty")
    handler = PermissionHandler()
    with translation.override(settings.LANGUAGE_CODE):
        origin = _("Asked by %(name)s during the live event “%(event)s”.") % {
            "name": (asker_name or "").strip() or _("a participant"),
            "event": (event_title or "").strip(),
        }
    with transaction.atomic():
        question_post = question_ask(
            user=host,
            forum=forum,
            subject=_subject_from(question_text),
            content=f"{question_text}\n\n*{origin}*",
            handler=handler,
            rate_limited=False,
        )
        topic = question_post.topic
        Question.objects.filter(pk=topic.pk).update(source=Question.Source.LIVE, source_title=event_title[:200])
        # Indexed on asking as a plain question; again now that it is known live (origin line left out).
        question_index_rebuild(question=Question.objects.select_related("topic").get(pk=topic.pk))
        # In a pre-moderated forum both wait in the queue; the answer is accepted once it is visible.
        answer = answer_post(user=host, topic=topic, content=answer_text, handler=handler, rate_limited=False)
        if question_post.approved and answer.approved:
            answer_accept(user=host, answer=answer, handler=handler)
    topic.qa.refresh_from_db()
    return topic
