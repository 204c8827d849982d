"""Chat, questions and announcements of a live event.

Every write is saved and appended to the event's stream in one transaction; screens hear of it
after the commit. Texts are stored as typed (minus control and direction-override characters) and
always shown as text: the pages and scripts escape them, nothing is ever rendered as HTML.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import textinput
from core.models import User
from core.textinput import has_invalid_unicode, invalid_text_message
from streaming.access import can_host_event, can_view_event
from streaming.models import Announcement, ChatMessage, LiveEvent, Question, QuestionSecond, Venue
from streaming.services.payloads import announcement_payload, chat_payload, question_payload
from streaming.services.stream import stream_append

CHAT_MAX_CHARS = 300
QUESTION_MAX_CHARS = 500
ANNOUNCEMENT_MAX_CHARS = 300
OPEN_STATES = (LiveEvent.State.SCHEDULED, LiveEvent.State.LIVE)


def clean_text(text, *, max_chars: int, multiline: bool = False) -> str:
    """The text to store: normalised, without hidden characters, not empty, not too long."""
    if not isinstance(text, str):
        raise ValidationError(_("Write some text."), code="empty")
    if has_invalid_unicode(text):  # the site's one text policy (core/textinput.py)
        raise ValidationError(invalid_text_message(), code="invalid")
    text = textinput.clean_text(text)
    if multiline:
        lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(text.split())
    if not text:
        raise ValidationError(_("Write some text."), code="empty")
    if len(text) > max_chars:
        raise ValidationError(
            _("Keep it under %(n)s characters (this has %(length)s).") % {"n": max_chars, "length": len(text)},
            code="too_long",
        )
    return text


def _require_open(event: LiveEvent) -> None:
    if event.state not in OPEN_STATES:
        raise ValidationError(_("This event is over; chat and questions are closed."), code="closed")


def _require_participant(event: LiveEvent, user: User) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to take part."))
    if not can_view_event(user, event):
        raise PermissionDenied(_("You are not invited to this event."))


def _shown_name(user: User, venue: Venue | None) -> str:
    return venue.name if venue is not None else user.get_full_name()


def chat_message_post(*, event: LiveEvent, author: User, text: str, venue: Venue | None = None) -> ChatMessage:
    _require_participant(event, author)
    text = clean_text(text, max_chars=CHAT_MAX_CHARS)
    _require_open(event)
    with transaction.atomic():
        message = ChatMessage.objects.create(
            event=event, author=author, venue=venue, author_name=_shown_name(author, venue)[:120], text=text
        )
        stream_append(event_id=event.pk, kind="chat", payload=chat_payload(message))
    return message


def chat_message_delete(*, message: ChatMessage, by: User) -> ChatMessage:
    """A moderator removes a message from every screen (it stays in the database, marked)."""
    if not can_host_event(by, message.event):
        raise PermissionDenied(_("Only the event's moderators can delete messages."))
    with transaction.atomic():
        message = ChatMessage.objects.select_for_update().get(pk=message.pk)
        if message.deleted_at is not None:
            return message
        message.deleted_at = timezone.now()
        message.deleted_by = by
        message.save(update_fields=["deleted_at", "deleted_by"])
        stream_append(event_id=message.event_id, kind="chat_delete", payload={"id": message.pk})
    return message


def question_ask(*, event: LiveEvent, author: User, text: str, venue: Venue | None = None) -> Question:
    _require_participant(event, author)
    text = clean_text(text, max_chars=QUESTION_MAX_CHARS, multiline=True)
    _require_open(event)
    with transaction.atomic():
        question = Question.objects.create(
            event=event, author=author, venue=venue, author_name=_shown_name(author, venue)[:120], text=text
        )
        stream_append(event_id=event.pk, kind="question", payload=question_payload(question))
    return question


def question_second(*, question: Question, by: User) -> Question:
    """ "Me too": another person (or venue) wants this question answered. Once per person."""
    event = question.event
    _require_participant(event, by)
    _require_open(event)
    if question.author_id == by.pk:
        raise ValidationError(_("You asked this question yourself."), code="own")
    if question.state == Question.State.ANSWERED:
        raise ValidationError(_("This question has been answered."), code="answered")
    try:
        with transaction.atomic():
            QuestionSecond.objects.create(question=question, user=by)
            Question.objects.filter(pk=question.pk).update(seconds=F("seconds") + 1)
            question = Question.objects.get(pk=question.pk)
            stream_append(event_id=event.pk, kind="question", payload=question_payload(question))
    except IntegrityError:
        raise ValidationError(_("You have already seconded this question."), code="already") from None
    return question


def _question_set_state(question: Question, state: str, *, by: User) -> Question:
    event = question.event
    if not can_host_event(by, event):
        raise PermissionDenied(_("Only the organiser or the operations centre can do this."))
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        if question.state == state:
            return question
        now = timezone.now()
        if state == Question.State.ANSWERING:
            # One question at a time is on every screen: the previous one counts as answered.
            for previous in Question.objects.select_for_update().filter(
                event_id=question.event_id, state=Question.State.ANSWERING
            ):
                previous.state, previous.answered_at = Question.State.ANSWERED, now
                previous.save(update_fields=["state", "answered_at"])
                stream_append(event_id=event.pk, kind="question", payload=question_payload(previous))
            question.answering_at = now
        else:
            question.answered_at = now
        question.state = state
        question.save(update_fields=["state", "answering_at", "answered_at"])
        stream_append(event_id=event.pk, kind="question", payload=question_payload(question))
    return question


def question_mark_answering(*, question: Question, by: User) -> Question:
    _require_open(question.event)
    return _question_set_state(question, Question.State.ANSWERING, by=by)


def question_mark_answered(*, question: Question, by: User) -> Question:
    return _question_set_state(question, Question.State.ANSWERED, by=by)


def announcement_push(*, event: LiveEvent, by: User, text: str) -> Announcement:
    """A line the host puts on every screen (a banner on the big screens)."""
    if not can_host_event(by, event):
        raise PermissionDenied(_("Only the organiser or the operations centre can do this."))
    text = clean_text(text, max_chars=ANNOUNCEMENT_MAX_CHARS)
    _require_open(event)
    with transaction.atomic():
        announcement = Announcement.objects.create(event=event, by=by, text=text)
        stream_append(event_id=event.pk, kind="announcement", payload=announcement_payload(announcement))
    return announcement


def question_to_forum(*, question: Question, host: User, forum, answer_text: str):
    """After the event, publish a live question with the host's answer in the Q&A forum."""
    from forum.services.live import question_from_live

    event = question.event
    if not can_host_event(host, event):
        raise PermissionDenied(_("Only the organiser or the operations centre can do this."))
    if event.state not in (LiveEvent.State.ENDED, LiveEvent.State.REPLAY_READY):
        raise ValidationError(_("Questions go to the forum once the event is over."), code="not_over")
    if question.forum_topic_id:
        raise ValidationError(_("This question is already in the forum."), code="already")
    answer_text = clean_text(answer_text, max_chars=5000, multiline=True)
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        if question.forum_topic_id:
            raise ValidationError(_("This question is already in the forum."), code="already")
        topic = question_from_live(
            host=host,
            forum=forum,
            question_text=question.text,
            asker_name=question.author_name,
            answer_text=answer_text,
            event_title=event.title,
        )
        question.forum_topic_id = topic.pk
        question.forum_url = _topic_url(topic)
        if question.state != Question.State.ANSWERED:
            question.state, question.answered_at = Question.State.ANSWERED, timezone.now()
        question.save(update_fields=["forum_topic_id", "forum_url", "state", "answered_at"])
    return question


def _topic_url(topic) -> str:
    try:
        from forum.selectors import topic_url

        return topic_url(topic)[:300]
    except Exception:  # the link is a convenience; the topic id is what matters
        return ""
