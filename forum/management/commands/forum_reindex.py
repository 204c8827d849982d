"""Rebuild every question's search terms: `manage.py forum_reindex`.

Run it once after the indexing rules change (forum.services.index), so that questions written before
are found the same way as new ones. Each question is rebuilt on its own; the forum stays usable.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum.models import Question
from forum.services.index import question_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search terms of every forum question."

    def handle(self, *args, **options) -> None:
        done = 0
        for question in Question.objects.select_related("topic").iterator(chunk_size=500):
            question_index_rebuild(question=question)
            done += 1
        self.stdout.write(f"{done} questions reindexed")
