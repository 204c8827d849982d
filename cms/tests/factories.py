"""Builders of CMS content for tests, through Wagtail's own API (add_child + publish)."""

from __future__ import annotations

import datetime
import io

from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page

from cms.models import (
    GuideIndexPage,
    GuidePage,
    NewsCategory,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
    UpdatePage,
)
from cms.services.permissions import department_editors_ensure, department_section_ensure
from core.demo.registry import DemoContext
from core.demo.steps import EDITOR_GROUP, REVIEWER_GROUP, seed_cms_groups
from core.models import Department
from core.tests.factories import UserFactory

_counter = iter(range(1, 10**9))


def publish(parent: Page, page: Page, *, user=None) -> Page:
    parent.add_child(instance=page)
    page.save_revision(user=user).publish(user=user)
    page.refresh_from_db()
    return page


def png_bytes(size: tuple[int, int] = (64, 36), color=(200, 16, 46)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 36)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (0, 92, 151)).save(buffer, "JPEG")
    return buffer.getvalue()


def make_image(title: str = "封面") -> object:
    image = get_image_model()(title=title, file=ImageFile(io.BytesIO(jpeg_bytes((1280, 720))), name="cover.jpg"))
    image.save()
    return image


def make_category(name: str = "基层动态", slug: str | None = None) -> NewsCategory:
    return NewsCategory.objects.get_or_create(slug=slug or f"cat{next(_counter)}", defaults={"name": name})[0]


def make_news(title: str | None = None, *, body_html: str = "<p>正文</p>", live: bool = True, **fields) -> NewsPage:
    index = NewsIndexPage.objects.get()
    page = NewsPage(
        title=title or f"新闻{next(_counter)}",
        slug=f"news-{next(_counter)}",
        date=fields.pop("date", datetime.date(2026, 5, 4)),
        body=[{"type": "paragraph", "value": body_html}],
        **fields,
    )
    if live:
        return publish(index, page)
    page.live = False
    index.add_child(instance=page)
    page.save_revision()
    return NewsPage.objects.get(pk=page.pk)


def make_guide(title: str = "预备党员转正", **fields) -> GuidePage:
    page = GuidePage(
        title=title,
        slug=f"guide-{next(_counter)}",
        summary=fields.pop("summary", "办理流程和材料"),
        steps=[{"type": "step", "value": {"title": "提交转正申请", "detail": "<p>向党支部提交</p>"}}],
        materials=[
            {"type": "material", "value": {"name": "转正申请书", "copies": "1份", "note": "", "required": True}}
        ],
        faq=[{"type": "qa", "value": {"question": "需要本人到场吗？", "answer": "<p>需要。</p>"}}],
        **fields,
    )
    return publish(GuideIndexPage.objects.get(), page)


def make_service(title: str = "东港市法律援助中心", category: str = "legal", **fields) -> ServicePage:
    page = ServicePage(
        title=title,
        slug=f"service-{next(_counter)}",
        category=category,
        address=fields.pop("address", "东港市新兴路18号"),
        phone=fields.pop("phone", "0415-7123456"),
        opening_hours="周一至周五 8:30—17:00",
        eligibility="经济困难公民",
        **fields,
    )
    return publish(ServiceIndexPage.objects.get(), page)


def make_update(department: Department, title: str = "召开工作例会", **fields) -> UpdatePage:
    section = department_section_ensure(department=department)
    page = UpdatePage(
        title=title, slug=f"update-{next(_counter)}", summary=fields.pop("summary", "会议部署工作"), **fields
    )
    return publish(section, page)


def editorial_groups() -> dict[str, Group]:
    """The groups core's seed makes (editors, reviewers on the home page, reviewers approve)."""
    seed_cms_groups(DemoContext(scale=0.01, password="x"))
    from cms.services.permissions import editorial_collections_ensure

    editorial_collections_ensure()
    return {"editor": Group.objects.get(name=EDITOR_GROUP), "reviewer": Group.objects.get(name=REVIEWER_GROUP)}


def make_member_of(group: Group, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(group)
    return user


def make_department_editor(department: Department):
    return make_member_of(department_editors_ensure(department=department))
