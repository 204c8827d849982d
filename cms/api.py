"""Read-only JSON API of the CMS for the mobile client (mounted under /api/ in config/api.py).

Only live, public pages appear. Lists are paginated (`page`, `page_size`); details carry the
body as sanitised HTML. URLs are site-relative. Anonymous responses go through the page cache.
"""

from __future__ import annotations

import datetime
import math

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cms.access import access_page_by_id, readable_pages
from cms.cache import mark_cacheable
from cms.models import (
    CARD_RENDITIONS,
    DepartmentUpdatesPage,
    GuidePage,
    NewsCategory,
    NewsPage,
    ServiceCategory,
    ServicePage,
    UpdatePage,
    with_cover_renditions,
)
from cms.search import site_search

router = Router(tags=["content"])

MAX_PAGE_SIZE = 50


class CmsPageQuery(Schema):
    page: int = Field(1, ge=1, le=10_000, description="1-based page number")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class NewsCoverOut(Schema):
    small: str = Field(description="480×270 rendition URL")
    large: str = Field(description="960×540 rendition URL")


class NewsCategoryOut(Schema):
    slug: str
    name: str


class NewsSummaryOut(Schema):
    id: int
    title: str
    date: datetime.date
    category: NewsCategoryOut | None
    summary: str
    source: str
    author: str
    url: str
    cover: NewsCoverOut | None


class NewsDetailOut(NewsSummaryOut):
    tags: list[str]
    body_html: str
    last_published_at: datetime.datetime | None


class NewsListOut(Schema):
    count: int
    page: int
    pages: int
    items: list[NewsSummaryOut]


class UpdateSummaryOut(Schema):
    id: int
    title: str
    date: datetime.date
    department: str
    department_id: int | None
    summary: str
    url: str


class UpdateDetailOut(UpdateSummaryOut):
    body_html: str


class UpdateListOut(Schema):
    count: int
    page: int
    pages: int
    items: list[UpdateSummaryOut]


class GuideSummaryOut(Schema):
    id: int
    title: str
    summary: str
    applies_to: str
    time_limit: str
    url: str


class GuideStepOut(Schema):
    title: str
    detail_html: str


class GuideMaterialOut(Schema):
    name: str
    copies: str
    note: str
    required: bool


class GuideDocumentOut(Schema):
    title: str
    url: str
    extension: str
    size: int | None


class GuideFAQOut(Schema):
    question: str
    answer_html: str


class GuideDetailOut(GuideSummaryOut):
    steps: list[GuideStepOut]
    materials: list[GuideMaterialOut]
    forms: list[GuideDocumentOut]
    faq: list[GuideFAQOut]
    body_html: str


class GuideListOut(Schema):
    count: int
    page: int
    pages: int
    items: list[GuideSummaryOut]


class ServiceSummaryOut(Schema):
    id: int
    title: str
    category: str
    category_label: str
    summary: str
    address: str
    phone: str
    opening_hours: str
    url: str


class ServiceDetailOut(ServiceSummaryOut):
    organisation: str
    eligibility: str
    latitude: float | None
    longitude: float | None
    link: str
    body_html: str


class ServiceListOut(Schema):
    count: int
    page: int
    pages: int
    items: list[ServiceSummaryOut]


class SiteSearchHitOut(Schema):
    kind: str
    kind_label: str
    title: str
    url: str
    snippet: str
    date: datetime.date | None


class SiteSearchOut(Schema):
    query: str
    count: int
    page: int
    pages: int
    items: list[SiteSearchHitOut]


class CmsErrorOut(Schema):
    detail: str


def _page_of(queryset_or_list, query: CmsPageQuery) -> tuple[list, dict]:
    count = (
        queryset_or_list.count()
        if hasattr(queryset_or_list, "count") and not isinstance(queryset_or_list, list)
        else len(queryset_or_list)
    )
    start = (query.page - 1) * query.page_size
    items = list(queryset_or_list[start : start + query.page_size])
    return items, {"count": count, "page": query.page, "pages": max(1, math.ceil(count / query.page_size))}


def _cover(image) -> dict | None:
    if image is None:
        return None
    renditions = image.get_renditions(*CARD_RENDITIONS)
    return {"small": renditions[CARD_RENDITIONS[0]].url, "large": renditions[CARD_RENDITIONS[1]].url}


def _news_summary(page: NewsPage) -> dict:
    return {
        "id": page.pk,
        "title": page.title,
        "date": page.date,
        "category": {"slug": page.category.slug, "name": page.category.name} if page.category else None,
        "summary": page.summary,
        "source": page.source,
        "author": page.author,
        "url": page.url or "",
        "cover": _cover(page.cover_image),
    }


def _html(stream) -> str:
    return str(stream.render_as_block()) if stream else ""


@router.get("/news", response=NewsListOut, summary="News and notices, newest first")
def news_list(request: HttpRequest, query: Query[CmsPageQuery], category: str | None = None):
    mark_cacheable(request, allowed_params={"page", "page_size", "category"})
    news = readable_pages(NewsPage).select_related("category").order_by("-date", "-pk")
    if category:
        news = news.filter(category=get_object_or_404(NewsCategory, slug=category))
    items, meta = _page_of(with_cover_renditions(news), query)
    return {**meta, "items": [_news_summary(p) for p in items]}


@router.get("/news/{int:news_id}", response={200: NewsDetailOut, 404: CmsErrorOut}, summary="One news article")
def news_detail(request: HttpRequest, news_id: int):
    mark_cacheable(request)
    page = access_page_by_id(request.user, news_id, model=NewsPage)
    return {
        **_news_summary(page),
        "tags": [t.name for t in page.tags.all()],
        "body_html": _html(page.body),
        "last_published_at": page.last_published_at,
    }


def _update_summary(page: UpdatePage, department_ids: dict[str, int]) -> dict:
    return {
        "id": page.pk,
        "title": page.title,
        "date": page.date,
        "department": page.department_name,
        "department_id": department_ids.get(page.path[: -UpdatePage.steplen]),
        "summary": page.summary,
        "url": page.url or "",
    }


def _section_departments() -> dict[str, int]:
    return dict(DepartmentUpdatesPage.objects.values_list("path", "department_id"))


@router.get("/updates", response=UpdateListOut, summary="Agency work updates, newest first")
def updates_list(request: HttpRequest, query: Query[CmsPageQuery], department: int | None = None):
    mark_cacheable(request, allowed_params={"page", "page_size", "department"})
    updates = readable_pages(UpdatePage).order_by("-date", "-pk")
    if department is not None:
        section = DepartmentUpdatesPage.objects.filter(department_id=department).first()
        updates = updates.child_of(section) if section else updates.none()
    items, meta = _page_of(updates, query)
    departments = _section_departments()
    return {**meta, "items": [_update_summary(p, departments) for p in items]}


@router.get("/updates/{int:update_id}", response={200: UpdateDetailOut, 404: CmsErrorOut}, summary="One work update")
def update_detail(request: HttpRequest, update_id: int):
    mark_cacheable(request)
    page = access_page_by_id(request.user, update_id, model=UpdatePage)
    return {**_update_summary(page, _section_departments()), "body_html": _html(page.body)}


def _guide_summary(page: GuidePage) -> dict:
    return {
        "id": page.pk,
        "title": page.title,
        "summary": page.summary,
        "applies_to": page.applies_to,
        "time_limit": page.time_limit,
        "url": page.url or "",
    }


@router.get("/guides", response=GuideListOut, summary="Party-affairs guides")
def guides_list(request: HttpRequest, query: Query[CmsPageQuery]):
    mark_cacheable(request, allowed_params={"page", "page_size"})
    items, meta = _page_of(readable_pages(GuidePage).order_by("path"), query)
    return {**meta, "items": [_guide_summary(p) for p in items]}


@router.get("/guides/{int:guide_id}", response={200: GuideDetailOut, 404: CmsErrorOut}, summary="One guide")
def guide_detail(request: HttpRequest, guide_id: int):
    mark_cacheable(request)
    page = access_page_by_id(request.user, guide_id, model=GuidePage)
    forms = [
        {"title": doc.title, "url": doc.url, "extension": doc.file_extension, "size": doc.file_size}
        for block in page.forms
        for doc in block.value["documents"]
        if doc is not None
    ]
    return {
        **_guide_summary(page),
        "steps": [{"title": s.value["title"], "detail_html": str(s.value["detail"])} for s in page.steps],
        "materials": [
            {
                "name": m.value["name"],
                "copies": m.value["copies"],
                "note": m.value["note"],
                "required": m.value["required"],
            }
            for m in page.materials
        ],
        "forms": forms,
        "faq": [{"question": q.value["question"], "answer_html": str(q.value["answer"])} for q in page.faq],
        "body_html": _html(page.body),
    }


def _service_summary(page: ServicePage) -> dict:
    return {
        "id": page.pk,
        "title": page.title,
        "category": page.category,
        "category_label": str(page.get_category_display()),
        "summary": page.summary,
        "address": page.address,
        "phone": page.phone,
        "opening_hours": page.opening_hours,
        "url": page.url or "",
    }


@router.get("/services", response={200: ServiceListOut, 422: CmsErrorOut}, summary="Services directory")
def services_list(request: HttpRequest, query: Query[CmsPageQuery], category: str | None = None):
    mark_cacheable(request, allowed_params={"page", "page_size", "category"})
    services = readable_pages(ServicePage).order_by("category", "title")
    if category:
        if category not in ServiceCategory.values:
            message = _("Unknown category: use one of %(values)s.") % {"values": ", ".join(ServiceCategory.values)}
            return Status(422, {"detail": message})
        services = services.filter(category=category)
    items, meta = _page_of(services, query)
    return {**meta, "items": [_service_summary(p) for p in items]}


@router.get("/services/{int:service_id}", response={200: ServiceDetailOut, 404: CmsErrorOut}, summary="One service")
def service_detail(request: HttpRequest, service_id: int):
    mark_cacheable(request)
    page = access_page_by_id(request.user, service_id, model=ServicePage)
    return {
        **_service_summary(page),
        "organisation": page.organisation,
        "eligibility": page.eligibility,
        "latitude": float(page.latitude) if page.latitude is not None else None,
        "longitude": float(page.longitude) if page.longitude is not None else None,
        "link": page.link,
        "body_html": _html(page.body),
    }


@router.get("/search", response=SiteSearchOut, summary="Search news, updates, guides, services, courses and the forum")
def search(
    request: HttpRequest,
    query: Query[CmsPageQuery],
    q: str = Query(..., min_length=1, max_length=100, description="Words to find (Chinese or not)"),
    kind: str | None = None,
):
    hits = site_search(user=request.user, query=q, kind=kind)
    items, meta = _page_of(hits, query)
    return {
        **meta,
        "query": q,
        "items": [
            {
                "kind": h.kind,
                "kind_label": h.kind_label,
                "title": h.title,
                "url": h.url,
                "snippet": h.snippet,
                "date": h.date.date() if isinstance(h.date, datetime.datetime) else h.date,
            }
            for h in items
        ],
    }
