"""Wagtail page types and snippets of the CMS. The portal home is the root page of the default site.

Tree: HomePage (/) → NewsIndexPage (/news/) → NewsPage
                   → UpdatesIndexPage (/updates/) → DepartmentUpdatesPage (one per department) → UpdatePage
                   → GuideIndexPage (/guides/) → GuidePage
                   → ServiceIndexPage (/services/) → ServicePage

Page types are fat models (Wagtail's idiom): their listings and search terms live here; reads
that span page types are in cms/selectors.py.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.search import index

from cms import blocks as cms_blocks
from cms.portal import portal_tiles
from core.search import index_terms

PAGE_SIZE = 12
# Renditions listings show; prefetched with the page so a listing costs no query per card.
CARD_RENDITIONS = ("fill-480x270", "fill-960x540")
HERO_RENDITIONS = ("width-480", "width-960", "width-1440")


def paginate(request, items, per_page: int = PAGE_SIZE):
    """One page of `items` for ?page=…; out-of-range and junk numbers fall back to the nearest page."""
    paginator = Paginator(items, per_page)
    number = request.GET.get("page", "1")
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def with_cover_renditions(queryset, *specs: str):
    Image = get_image_model()  # noqa: N806
    return queryset.select_related("cover_image").prefetch_related(
        Prefetch("cover_image", queryset=Image.objects.prefetch_renditions(*(specs or CARD_RENDITIONS)))
    )


# --- Snippets ---------------------------------------------------------------------------------


class NewsCategory(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    slug = models.SlugField(_("slug"), max_length=40, unique=True, allow_unicode=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("sort_order")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("news category")
        verbose_name_plural = _("news categories")

    def __str__(self) -> str:
        return self.name


class Announcement(models.Model):
    """A site-wide banner shown on the portal between its start and end times."""

    class Level(models.TextChoices):
        INFO = "info", _("Notice")
        URGENT = "urgent", _("Urgent")

    title = models.CharField(_("title"), max_length=120)
    text = models.CharField(_("text"), max_length=300, blank=True)
    link = models.CharField(
        _("link"), max_length=300, blank=True, help_text=_("A page on this site (/news/…) or a full https:// address")
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    starts_at = models.DateTimeField(_("shown from"), default=timezone.now)
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True, help_text=_("Empty: until removed"))

    panels = [
        FieldPanel("title"),
        FieldPanel("text"),
        FieldPanel("link"),
        FieldPanel("level"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
    ]

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        indexes = [models.Index(fields=["starts_at", "ends_at"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})
        if (
            self.link
            and not (self.link.startswith("/") and not self.link.startswith("//"))
            and not (self.link.startswith("https://") or self.link.startswith("http://"))
        ):
            raise ValidationError({"link": _("Use a path on this site starting with / or an http(s):// address.")})


class PageCacheGeneration(models.Model):
    """One counter row: cached anonymous pages carry the value they were made under (cms/cache.py).

    In the database rather than the cache so that every process (several WSGI workers with a
    local-memory cache, the scheduled-publishing command) sees a publish at once.
    """

    name = models.CharField(max_length=20, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("page cache generation")


# --- Shared page behaviour ----------------------------------------------------------------------


class CmsPage(Page):
    """Behaviour of every CMS page: Chinese search terms and the anonymous page cache."""

    # Query strings that give a distinct, cacheable page; anything else is served uncached.
    cache_query_params: frozenset[str] = frozenset()

    search_fields = [
        *Page.search_fields,
        index.SearchField("search_title_terms", boost=2),
        index.SearchField("search_body_terms"),
    ]

    class Meta:
        abstract = True

    @property
    def search_title_terms(self) -> str:
        return index_terms(self.title)

    @property
    def search_body_terms(self) -> str:
        return index_terms(self.search_text())

    def search_text(self) -> str:
        """Plain text of the page beyond its title, for the index and for result snippets."""
        return getattr(self, "summary", "") or ""

    def serve(self, request, *args, **kwargs):
        from cms.cache import mark_cacheable

        mark_cacheable(request, allowed_params=self.cache_query_params)
        return super().serve(request, *args, **kwargs)


# --- Home -------------------------------------------------------------------------------------


class HomePage(CmsPage):
    """The mobile-first portal (门户首页): announcements, live now, latest news and tiles."""

    intro = models.CharField(_("welcome text"), max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.NewsIndexPage", "cms.UpdatesIndexPage", "cms.GuideIndexPage", "cms.ServiceIndexPage"]
    search_fields = Page.search_fields

    class Meta:
        verbose_name = _("portal home page")

    def get_context(self, request, *args, **kwargs):
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context["tiles"] = portal_tiles(request.user)
        context["announcements"] = selectors.announcements_current()
        context["live_events"] = selectors.live_events_for(request.user)
        context["latest_news"] = selectors.news_latest(limit=6)
        context["latest_updates"] = selectors.updates_latest(limit=5)
        return context


# --- Sections -------------------------------------------------------------------------------------


class SectionIndexPage(CmsPage):
    """One of the portal's sections (/news/, /updates/, /guides/, /services/): made by migration 0004."""

    intro = models.CharField(_("introduction"), max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    max_count = 1
    search_fields = Page.search_fields

    class Meta:
        abstract = True


# --- News -------------------------------------------------------------------------------------


class NewsIndexPage(SectionIndexPage):
    subpage_types = ["cms.NewsPage"]
    cache_query_params = frozenset({"page", "category"})

    class Meta:
        verbose_name = _("news index")

    def route(self, request, path_components):
        # One query for the article with its category and cover renditions, where Wagtail's
        # generic routing would fetch the child, then its specific row, then each relation.
        if path_components:
            slug, *rest = path_components
            article = (
                with_cover_renditions(NewsPage.objects.child_of(self).select_related("category"), *HERO_RENDITIONS)
                .filter(slug=slug)
                .first()
            )
            if article is None:
                raise Http404
            return article.route(request, rest)
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        categories = list(NewsCategory.objects.all())
        current = next((c for c in categories if c.slug == request.GET.get("category")), None)
        news = (
            NewsPage.objects.live()
            .public()
            .child_of(self)
            .select_related("category")
            .order_by("-date", "-pk")
            .only("title", "url_path", "path", "depth", "date", "summary", "source", "category", "cover_image")
        )
        if current:
            news = news.filter(category=current)
        context.update(
            categories=categories, current_category=current, news=paginate(request, with_cover_renditions(news))
        )
        return context


class NewsPageTag(TaggedItemBase):
    content_object = ParentalKey("cms.NewsPage", on_delete=models.CASCADE, related_name="tagged_items")


class NewsPage(CmsPage):
    date = models.DateField(_("date"), default=datetime.date.today, db_index=True)
    category = models.ForeignKey(
        NewsCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    summary = models.TextField(_("summary"), max_length=300, blank=True)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cover image"),
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    author = models.CharField(_("author"), max_length=60, blank=True)
    body = StreamField(cms_blocks.base_blocks(), blank=True, verbose_name=_("body"))
    tags = ClusterTaggableManager(through=NewsPageTag, blank=True, verbose_name=_("tags"))

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("date"), FieldPanel("category")]),
                FieldRowPanel([FieldPanel("source"), FieldPanel("author")]),
            ],
            heading=_("About this article"),
        ),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("news article")
        verbose_name_plural = _("news articles")

    def search_text(self) -> str:
        return " ".join([self.summary, cms_blocks.stream_text(self.body)])

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["tag_names"] = [t.name for t in self.tags.all()]
        return context


# --- Agency work updates ------------------------------------------------------------------------


class UpdatesIndexPage(SectionIndexPage):
    subpage_types = ["cms.DepartmentUpdatesPage"]
    cache_query_params = frozenset({"page"})

    class Meta:
        verbose_name = _("work updates index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = DepartmentUpdatesPage.objects.live().public().child_of(self).order_by("path")
        updates = (
            UpdatePage.objects.live()
            .public()
            .descendant_of(self)
            .order_by("-date", "-pk")
            .only("title", "url_path", "path", "depth", "date", "summary", "department_name")
        )
        context["updates"] = paginate(request, updates)
        return context


class DepartmentUpdatesPage(CmsPage):
    """A department's own section: its editors get page permissions on this subtree only."""

    department = models.OneToOneField(
        "core.Department", on_delete=models.PROTECT, related_name="updates_section", verbose_name=_("department")
    )
    intro = models.CharField(_("introduction"), max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("department"), FieldPanel("intro")]
    parent_page_types = ["cms.UpdatesIndexPage"]
    subpage_types = ["cms.UpdatePage"]
    cache_query_params = frozenset({"page"})
    search_fields = Page.search_fields

    class Meta:
        verbose_name = _("department work updates")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        updates = UpdatePage.objects.live().public().child_of(self).order_by("-date", "-pk")
        context["updates"] = paginate(request, with_cover_renditions(updates))
        return context


class UpdatePage(CmsPage):
    date = models.DateField(_("date"), default=datetime.date.today, db_index=True)
    summary = models.TextField(_("summary"), max_length=300, blank=True)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cover image"),
    )
    body = StreamField(cms_blocks.base_blocks(), blank=True, verbose_name=_("body"))
    # Copied from the parent section on save: listings across departments need no join.
    department_name = models.CharField(_("department"), max_length=100, blank=True, editable=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.DepartmentUpdatesPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("work update")
        verbose_name_plural = _("work updates")

    def search_text(self) -> str:
        return " ".join([self.department_name, self.summary, cms_blocks.stream_text(self.body)])

    def full_clean(self, *args, **kwargs):
        parent = self.get_parent() if self.path else None
        section = parent.specific if parent else None
        if isinstance(section, DepartmentUpdatesPage):
            self.department_name = section.department.name
        super().full_clean(*args, **kwargs)


# --- Party-affairs guides -------------------------------------------------------------------------


class GuideIndexPage(SectionIndexPage):
    subpage_types = ["cms.GuidePage"]
    cache_query_params = frozenset({"page"})

    class Meta:
        verbose_name = _("guide index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        guides = (
            GuidePage.objects.live()
            .public()
            .child_of(self)
            .order_by("path")
            .only("title", "url_path", "path", "depth", "summary", "applies_to", "time_limit")
        )
        context["guides"] = paginate(request, guides, per_page=30)
        return context


class GuidePage(CmsPage):
    summary = models.TextField(_("summary"), max_length=300, blank=True)
    applies_to = models.CharField(_("who it is for"), max_length=200, blank=True)
    time_limit = models.CharField(_("time needed"), max_length=100, blank=True)
    steps = StreamField([("step", cms_blocks.StepBlock())], blank=True, verbose_name=_("steps"))
    materials = StreamField(
        [("material", cms_blocks.MaterialBlock())], blank=True, verbose_name=_("required materials")
    )
    forms = StreamField(
        [("documents", cms_blocks.DocumentListBlock())], blank=True, verbose_name=_("forms to download")
    )
    faq = StreamField([("qa", cms_blocks.FAQBlock())], blank=True, verbose_name=_("frequently asked questions"))
    body = StreamField(cms_blocks.base_blocks(), blank=True, verbose_name=_("further information"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("applies_to"), FieldPanel("time_limit")]),
        FieldPanel("steps"),
        FieldPanel("materials"),
        FieldPanel("forms"),
        FieldPanel("faq"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.GuideIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("party-affairs guide")
        verbose_name_plural = _("party-affairs guides")

    def search_text(self) -> str:
        parts = [self.summary, self.applies_to]
        parts += [cms_blocks.stream_text(s) for s in (self.steps, self.materials, self.faq, self.body)]
        return " ".join(parts)


# --- Services directory ---------------------------------------------------------------------------


class ServiceCategory(models.TextChoices):
    MEDICAL = "medical", _("Healthcare")
    LEGAL = "legal", _("Laws and legal aid")
    BUSINESS = "business", _("Business support policies")


class ServiceIndexPage(SectionIndexPage):
    subpage_types = ["cms.ServicePage"]
    cache_query_params = frozenset({"page", "category"})

    class Meta:
        verbose_name = _("services directory")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        category = request.GET.get("category")
        if category not in ServiceCategory.values:
            category = None
        services = (
            ServicePage.objects.live()
            .public()
            .child_of(self)
            .order_by("category", "title")
            .only("title", "url_path", "path", "depth", "category", "summary", "address", "phone", "opening_hours")
        )
        if category:
            services = services.filter(category=category)
        context.update(
            categories=ServiceCategory.choices, current_category=category, services=paginate(request, services, 20)
        )
        return context


class ServicePage(CmsPage):
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices, db_index=True)
    summary = models.TextField(_("summary"), max_length=300, blank=True)
    organisation = models.CharField(_("provided by"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    eligibility = models.TextField(_("who can use it"), max_length=1000, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    link = models.URLField(_("website"), blank=True)
    body = StreamField(cms_blocks.base_blocks(), blank=True, verbose_name=_("details"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("category"),
        FieldPanel("summary"),
        FieldPanel("organisation"),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("phone"), FieldPanel("opening_hours")]),
                FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
                FieldPanel("link"),
            ],
            heading=_("How to get there"),
        ),
        FieldPanel("eligibility"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.ServiceIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def search_text(self) -> str:
        return " ".join(
            [
                self.get_category_display(),
                self.summary,
                self.organisation,
                self.address,
                self.eligibility,
                cms_blocks.stream_text(self.body),
            ]
        )

    def clean(self) -> None:
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        if (
            self.latitude is not None
            and self.longitude is not None
            and not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180)
        ):
            raise ValidationError(_("The location is outside the valid range."))
