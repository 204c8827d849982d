"""Writes of the Q&A forum. Each service checks the caller's forum permissions itself.

`question_from_live` is the interface the live-sessions app calls after an event.
"""

from forum.services.live import question_from_live

__all__ = ["question_from_live"]
