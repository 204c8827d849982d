"""Publish many new pages at once: the demo data's hundreds of articles, or an import.

Wagtail's `add_child()` + `save_revision().publish()` costs dozens of queries and several signal
handlers per page (tree locking, search indexing, reference index, log entries). Here a batch costs
a handful of bulk statements: the tree paths are computed once for the batch, the `wagtailcore_page`
rows are inserted together, each specific row with one raw insert (raw: no per-page signals), one
revision and one "publish" log entry per page in bulk, then the search index in bulk and the
reference index per page. The result is what Wagtail itself would have stored for a page created
and published once, so editors can open, edit, compare and roll back these pages as usual.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends

from cms.cache import page_cache_invalidate

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_STEPLEN = 4


def _step(n: int) -> str:
    out = ""
    for _ in range(_STEPLEN):
        n, r = divmod(n, len(_ALPHABET))
        out = _ALPHABET[r] + out
    if n:
        raise ValueError("too many children for one parent page")
    return out


def pages_bulk_publish(
    *,
    parent: Page,
    pages: Sequence[Page],
    published_at: Sequence[datetime.datetime] | None = None,
    user=None,
    tags: Sequence[Sequence[str]] | None = None,
) -> list[Page]:
    """Insert `pages` (new, unsaved, all of one specific type) as live children of `parent`.

    `published_at[i]` is page i's first/last publication time (default now); `tags[i]` its tag
    names when the type has a `tags` ClusterTaggableManager. Returns the saved pages.
    """
    if not pages:
        return []
    model = type(pages[0])
    if any(type(p) is not model for p in pages):
        raise ValueError("pages_bulk_publish takes pages of one type per call")
    now = timezone.now()
    times = list(published_at) if published_at is not None else [now] * len(pages)
    content_type = ContentType.objects.get_for_model(model)
    page_type = ContentType.objects.get_for_model(Page)

    with transaction.atomic():
        # Lock the parent row: a concurrent add_child would compute the same paths.
        parent = Page.objects.select_for_update().get(pk=parent.pk)
        # Not get_children(): treebeard answers "none" for a parent whose numchild is still 0.
        siblings = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        last = siblings.order_by("-path").values_list("path", flat=True).first()
        position = int(last[-_STEPLEN:], len(_ALPHABET)) if last else 0
        bases = []
        for page, when in zip(pages, times, strict=True):
            position += 1
            page.path = parent.path + _step(position)
            page.depth = parent.depth + 1
            page.numchild = 0
            page.url_path = f"{parent.url_path}{page.slug}/"
            page.locale_id = parent.locale_id
            page.content_type = content_type
            page.live = True
            page.has_unpublished_changes = False
            page.draft_title = page.title
            page.first_published_at = page.last_published_at = page.latest_revision_created_at = when
            page.owner = user
            page.translation_key = page.translation_key or uuid.uuid4()
            page.full_clean(exclude=["page_ptr", "path", "url_path", "draft_title"])
            bases.append(Page(**{f.attname: getattr(page, f.attname) for f in Page._meta.concrete_fields}))
        Page.objects.bulk_create(bases, batch_size=200)
        if any(b.pk is None for b in bases):  # backends that cannot return ids from a bulk insert
            by_path = dict(Page.objects.filter(path__in=[b.path for b in bases]).values_list("path", "pk"))
            for base in bases:
                base.pk = base.id = by_path[base.path]
        for page, base in zip(pages, bases, strict=True):
            page.id = page.page_ptr_id = base.pk
            page._state.adding = False
            # raw: the specific table only, without per-page signal handlers (indexing comes below).
            page.save_base(raw=True, force_insert=True)
        if tags is not None:
            _tags_add(pages, tags)

        revisions = [
            Revision(
                content_type=content_type,
                base_content_type=page_type,
                object_id=str(page.pk),
                created_at=when,
                user=user,
                object_str=page.title,
                content=page.serializable_data(),
            )
            for page, when in zip(pages, times, strict=True)
        ]
        Revision.objects.bulk_create(revisions, batch_size=200)
        if any(r.pk is None for r in revisions):
            by_object = dict(
                Revision.objects.filter(base_content_type=page_type, object_id__in=[str(p.pk) for p in pages])
                .order_by("pk")
                .values_list("object_id", "pk")
            )
            for revision in revisions:
                revision.pk = revision.id = by_object[revision.object_id]
        for page, revision in zip(pages, revisions, strict=True):
            page.latest_revision_id = page.live_revision_id = revision.pk
        Page.objects.bulk_update(
            [
                Page(pk=p.pk, latest_revision_id=p.latest_revision_id, live_revision_id=p.live_revision_id)
                for p in pages
            ],
            ["latest_revision_id", "live_revision_id"],
            batch_size=200,
        )
        PageLogEntry.objects.bulk_create(
            [
                PageLogEntry(
                    content_type=content_type,
                    page_id=page.pk,
                    label=page.title,
                    action=action,
                    revision_id=revision.pk,
                    timestamp=when,
                    user=user,
                    content_changed=True,
                )
                for page, revision, when in zip(pages, revisions, times, strict=True)
                for action in ("wagtail.create", "wagtail.publish")
            ],
            batch_size=400,
        )
        Page.objects.filter(pk=parent.pk).update(numchild=siblings.count())

        for backend in get_search_backends(with_auto_update=True):
            backend.add_bulk(model, list(pages))
        for page in pages:
            ReferenceIndex.create_or_update_for_object(page)
        page_cache_invalidate()
    return list(pages)


def _tags_add(pages: Sequence[Page], tags: Sequence[Sequence[str]]) -> None:
    from taggit.models import Tag

    field = type(pages[0])._meta.get_field("tags")
    through = field.through
    names = {name for names in tags for name in names}
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in sorted(names - set(existing)):
        existing[name] = Tag.objects.create(name=name)
    through.objects.bulk_create(
        [
            through(content_object_id=page.pk, tag_id=existing[name].pk)
            for page, page_tags in zip(pages, tags, strict=True)
            for name in dict.fromkeys(page_tags)
        ],
        batch_size=500,
    )
