"""The CMS's demo-data steps (orders 200–250): structure and permissions, covers, news, work
updates, guides, services. Pages are published in bulk (cms/services/bulk.py): one revision each.

Every step looks for its own rows first (demo pages have slugs starting with `demo-`), so a second
run only reads. Texts are composed from cms/demo/words.py.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import random
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.demo import words
from cms.demo.images import cover_jpeg
from cms.models import (
    CARD_RENDITIONS,
    Announcement,
    DepartmentUpdatesPage,
    GuideIndexPage,
    GuidePage,
    NewsCategory,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
    UpdatePage,
)
from cms.services.bulk import pages_bulk_publish
from cms.services.permissions import (
    department_editor_group_name,
    department_editors_ensure,
    editorial_collections_ensure,
)
from core.demo import names
from core.demo.generate import PeopleMaker
from core.demo.registry import DemoContext, demo_step
from core.models import Area, Department, User

DEMO_SLUG = "demo-"
COVER_TITLE = "演示封面"
COVER_COUNT = 30
NEWS_TOTAL = 320
UPDATES_PER_DEPARTMENT = 8
NEWS_DAYS = 420


def _dept_label(name: str) -> str:
    return name if name.startswith("市") else f"市{name}"


def _cn_date(day: datetime.date) -> str:
    return f"{day.month}月{day.day}日"


class _Filler(dict):
    """Values for one text: each placeholder is drawn once, so a name repeats consistently."""

    def __init__(self, rng: random.Random, pools: dict[str, list[str]], **fixed: str) -> None:
        super().__init__(fixed)
        self.rng = rng
        self.pools = pools

    def __missing__(self, key: str) -> str:
        if key in ("number",):
            value = str(self.rng.choice([12, 18, 26, 35, 48, 60, 86, 120, 150, 230, 318, 460]))
        elif key == "small":
            value = str(self.rng.randint(3, 16))
        elif key == "month":
            value = str(self.rng.randint(1, 12))
        else:
            value = self.rng.choice(self.pools[key])
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        return template.format_map(self)


def _pools() -> dict[str, list[str]]:
    towns = list(Area.objects.filter(level=Area.Level.TOWN).order_by("code").values_list("name", flat=True))
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE).order_by("code").values_list("name", flat=True))
    departments = [_dept_label(n) for n in Department.objects.order_by("code").values_list("name", flat=True)]
    towns = towns or [t[0] for t in names.TOWNS]
    return {
        "town": towns,
        "town2": towns,
        "village": villages or ["前进村", "和平社区"],
        "dept": departments or [_dept_label(n) for n in names.DEPARTMENTS],
        "topic": words.TOPICS,
        "campaign": words.CAMPAIGNS,
        "theme": words.THEMES,
        "meeting": words.MEETINGS,
        "notice": words.NOTICE_SUBJECTS,
        "product": words.PRODUCTS,
        "leader": words.LEADER_TITLES,
        "sector": [names.SECTOR_COMMITTEE, *names.SECTOR_BRANCHES],
        "service": words.SERVICE_TASKS,
        "year": ["2025", "2026"],
        "grid": [str(Area.objects.filter(level=Area.Level.GRID).count() or 515)],
    }


def _paragraphs(filler: _Filler, rng: random.Random, title_core: str, day: datetime.date, n: int) -> list[str]:
    filler.setdefault("date", _cn_date(day))
    filler["title_core"] = title_core
    texts = [filler.fill(rng.choice(words.OPENINGS))]
    texts += [filler.fill(t) for t in rng.sample(words.MIDDLES, n)]
    texts.append(filler.fill(rng.choice(words.CLOSINGS)))
    return texts


def _body(texts: list[str], rng: random.Random, filler: _Filler, covers: list, with_media: bool) -> list[dict]:
    body = [{"type": "paragraph", "value": "".join(f"<p>{t}</p>" for t in texts[:2])}]
    if with_media and covers and rng.random() < 0.35:
        body.append(
            {
                "type": "image",
                "value": {"image": rng.choice(covers).pk, "caption": filler.fill("{town}工作现场"), "alt": ""},
            }
        )
    if with_media and rng.random() < 0.3:
        text, who = rng.choice(words.QUOTES)
        body.append({"type": "quote", "value": {"text": text, "attribution": filler.fill(who)}})
    body.append({"type": "paragraph", "value": "".join(f"<p>{t}</p>" for t in texts[2:])})
    return body


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(8, 18), rng.randint(0, 59)))
    return timezone.make_aware(naive)


def _covers() -> list:
    return list(get_image_model().objects.filter(title__startswith=COVER_TITLE).order_by("title"))


# --- Structure -----------------------------------------------------------------------------------


@demo_step(order=200, models=("cms.NewsCategory", "cms.Announcement", "cms.DepartmentUpdatesPage", "auth.Group"))
def seed_cms_structure(ctx: DemoContext) -> str:
    """Categories, announcements, one work-update section and editor group per department."""
    departments = Department.objects.count()
    group_suffix = department_editor_group_name(Department(name=""))
    if (
        NewsCategory.objects.count() >= len(words.NEWS_CATEGORIES)
        and Announcement.objects.exists()
        and DepartmentUpdatesPage.objects.count() >= departments
        and Group.objects.filter(name__endswith=group_suffix).count() >= departments
    ):
        return "skipped: structure is there"
    created = 0
    for order, (name, slug) in enumerate(words.NEWS_CATEGORIES):
        created += NewsCategory.objects.get_or_create(slug=slug, defaults={"name": name, "sort_order": order})[1]
    now = timezone.now()
    for title, text, link, level, start_days, length_days in words.ANNOUNCEMENTS:
        if not Announcement.objects.filter(title=title).exists():
            starts = now + datetime.timedelta(days=start_days)
            Announcement.objects.create(
                title=title,
                text=text,
                link=link,
                level=level,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(days=length_days),
            )
            created += 1
    created += editorial_collections_ensure()
    sections_before = DepartmentUpdatesPage.objects.count()
    for department in Department.objects.order_by("code"):
        department_editors_ensure(department=department)
    created += DepartmentUpdatesPage.objects.count() - sections_before
    # The demo department account edits its own department's section.
    from core.demo.steps import DEMO_DEPARTMENT_CODE

    department = Department.objects.filter(code=DEMO_DEPARTMENT_CODE).first()
    user = User.objects.filter(username="demo_department").first()
    if department and user:
        group = Group.objects.get(name=department_editor_group_name(department))
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            created += 1
    return f"{created} categories/announcements/sections/permissions" if created else "skipped: structure is there"


@demo_step(order=210, models=("wagtailimages.Image",))
def seed_cms_covers(ctx: DemoContext) -> str:
    Image = get_image_model()  # noqa: N806
    existing = set(Image.objects.filter(title__startswith=COVER_TITLE).values_list("title", flat=True))
    made = 0
    for i in range(1, ctx.scaled(COVER_COUNT, minimum=4) + 1):
        title = f"{COVER_TITLE}{i:02d}"
        if title in existing:
            continue
        data = cover_jpeg(ctx.rng, i)
        image = Image(title=title, file=ImageFile(io.BytesIO(data), name=f"demo-cover-{i:02d}.jpg"))
        image.save()
        image.get_renditions(*CARD_RENDITIONS)  # the listings' sizes, made once here
        made += 1
    return f"{made} cover images" if made else "skipped: covers are there"


# --- News ----------------------------------------------------------------------------------------


@demo_step(order=220, models=("cms.NewsPage",))
def seed_cms_news(ctx: DemoContext) -> str:
    if NewsPage.objects.filter(slug__startswith=DEMO_SLUG).exists():
        return "skipped: demo news are there"
    index = NewsIndexPage.objects.first()
    if index is None:
        return "skipped: no /news/ section"
    rng = ctx.rng
    pools = _pools()
    covers = _covers()
    categories = {c.slug: c for c in NewsCategory.objects.all()}
    people = PeopleMaker(rng)
    total = ctx.scaled(NEWS_TOTAL, minimum=12)
    today = timezone.localdate()
    days = sorted(today - datetime.timedelta(days=rng.randrange(NEWS_DAYS)) for _ in range(total))
    seen: set[str] = set()
    pages, moments, tags = [], [], []
    weights = {"yaowen": 4, "tongzhi": 2, "dangjian": 4, "jiceng": 5, "xiangcun": 3, "bianmin": 2}
    for i, day in enumerate(days, 1):
        for _ in range(50):
            slug = rng.choices(list(weights), weights=list(weights.values()))[0]
            filler = _Filler(rng, pools)
            title = filler.fill(rng.choice(words.NEWS_TITLES[slug]))
            if title not in seen:
                break
        seen.add(title)
        texts = _paragraphs(filler, rng, title.replace("“", "").replace("”", ""), day, rng.randint(2, 4))
        pages.append(
            NewsPage(
                title=title,
                slug=f"{DEMO_SLUG}n{i:04d}",
                date=day,
                category=categories.get(slug),
                summary=texts[1][:140],
                cover_image=rng.choice(covers) if covers and rng.random() < 0.85 else None,
                source=filler.fill(rng.choice(words.SOURCES)),
                author=people.name(),
                body=_body(texts, rng, filler, covers, with_media=True),
            )
        )
        moments.append(_moment(rng, day))
        tags.append(rng.sample(words.TAGS, rng.randint(1, 3)))
    pages_bulk_publish(parent=index, pages=pages, published_at=moments, tags=tags)
    return f"{len(pages)} news articles"


# --- Work updates --------------------------------------------------------------------------------


@demo_step(order=230, models=("cms.UpdatePage",))
def seed_cms_updates(ctx: DemoContext) -> str:
    if UpdatePage.objects.filter(slug__startswith=DEMO_SLUG).exists():
        return "skipped: demo work updates are there"
    rng = ctx.rng
    pools = _pools()
    covers = _covers()
    today = timezone.localdate()
    per_section = ctx.scaled(UPDATES_PER_DEPARTMENT, minimum=2)
    total = 0
    for section in DepartmentUpdatesPage.objects.select_related("department").order_by("path"):
        label = _dept_label(section.department.name)
        days = sorted(today - datetime.timedelta(days=rng.randrange(NEWS_DAYS)) for _ in range(per_section))
        pages, moments, seen = [], [], set()
        for i, day in enumerate(days, 1):
            filler = _Filler(rng, pools, dept=label)
            title = filler.fill(rng.choice(words.UPDATE_TITLES))
            if title in seen:
                filler["month"] = str(day.month)
                title = f"{label}{_cn_date(day)}工作动态"
            seen.add(title)
            texts = _paragraphs(filler, rng, title, day, rng.randint(2, 3))
            pages.append(
                UpdatePage(
                    title=title,
                    slug=f"{DEMO_SLUG}u{i:03d}",
                    date=day,
                    summary=texts[1][:140],
                    cover_image=rng.choice(covers) if covers and rng.random() < 0.5 else None,
                    body=_body(texts, rng, filler, covers, with_media=False),
                    department_name=section.department.name,
                )
            )
            moments.append(_moment(rng, day))
        pages_bulk_publish(parent=section, pages=pages, published_at=moments)
        total += len(pages)
    return f"{total} work updates" if total else "skipped: no department sections"


# --- Guides --------------------------------------------------------------------------------------


def _form_document(title: str, headings: list[str]):
    """A small fill-in form as a real .xlsx file (openpyxl), shared by guides that name it."""
    from openpyxl import Workbook

    Document = get_document_model()  # noqa: N806
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表格"
    sheet["A1"] = title
    for column, heading in enumerate(headings, 1):
        sheet.cell(row=3, column=column, value=heading)
    buffer = io.BytesIO()
    workbook.save(buffer)
    document = Document(
        title=title,
        file=ContentFile(buffer.getvalue(), name=f"demo-form-{hashlib.sha256(title.encode()).hexdigest()[:10]}.xlsx"),
    )
    document._set_document_file_metadata()
    document.save()
    return document


FORM_HEADINGS = ["姓名", "性别", "出生年月", "民族", "所在党支部", "联系电话", "申请事项", "本人签字", "党支部意见"]


@demo_step(order=240, models=("cms.GuidePage", "wagtaildocs.Document"))
def seed_cms_guides(ctx: DemoContext) -> str:
    if GuidePage.objects.filter(slug__startswith=DEMO_SLUG).exists():
        return "skipped: demo guides are there"
    index = GuideIndexPage.objects.first()
    if index is None:
        return "skipped: no /guides/ section"
    rng = ctx.rng
    chosen = words.GUIDES[: max(3, min(len(words.GUIDES), ctx.scaled(len(words.GUIDES))))]
    pages = []
    for i, (title, applies_to, time_limit, steps, materials, *_rest) in enumerate(chosen, 1):
        forms = [_form_document(name, FORM_HEADINGS) for name, *_ in materials if name.endswith("表")]
        faq = rng.sample(words.GUIDE_FAQ, 3)
        pages.append(
            GuidePage(
                title=title,
                slug=f"{DEMO_SLUG}g{i:03d}",
                summary=f"{title}的办理对象、流程、所需材料和常见问题。",
                applies_to=applies_to,
                time_limit=time_limit,
                steps=[
                    {"type": "step", "value": {"title": step, "detail": f"<p>{step}。如有疑问请咨询所在党支部。</p>"}}
                    for step in steps
                ],
                materials=[
                    {"type": "material", "value": {"name": name, "copies": copies, "note": note, "required": True}}
                    for name, copies, note in materials
                ],
                forms=[{"type": "documents", "value": {"heading": "", "documents": [d.pk for d in forms]}}]
                if forms
                else [],
                faq=[
                    {"type": "qa", "value": {"question": q.format(title=title), "answer": f"<p>{a}</p>"}}
                    for q, a in faq
                ],
            )
        )
    pages_bulk_publish(parent=index, pages=pages)
    return f"{len(pages)} guides"


# --- Services ------------------------------------------------------------------------------------


def _coord(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


@demo_step(order=250, models=("cms.ServicePage",))
def seed_cms_services(ctx: DemoContext) -> str:
    if ServicePage.objects.filter(slug__startswith=DEMO_SLUG).exists():
        return "skipped: demo services are there"
    index = ServiceIndexPage.objects.first()
    if index is None:
        return "skipped: no /services/ section"
    rng = ctx.rng
    towns = list(Area.objects.filter(level=Area.Level.TOWN).order_by("code"))
    entries: list[tuple[tuple, str, float, float]] = [
        (entry, names.CITY_NAME, names.CITY_CENTRE[0], names.CITY_CENTRE[1]) for entry in words.SERVICES_CITY
    ]
    for town in towns:
        lat = float(town.latitude or names.CITY_CENTRE[0])
        lon = float(town.longitude or names.CITY_CENTRE[1])
        entries += [
            (tuple(part.format(town=town.name) for part in template), town.name, lat, lon)
            for template in words.SERVICE_TOWN_TEMPLATES
        ]
    keep = max(6, ctx.scaled(len(entries)))
    links = {"legal": "https://www.12348.gov.cn/", "business": "https://www.lnzwfw.gov.cn/"}
    pages = []
    for i, ((title, category, organisation, summary, eligibility), place, lat, lon) in enumerate(entries[:keep], 1):
        road = rng.choice(words.ROADS)
        pages.append(
            ServicePage(
                title=title,
                slug=f"{DEMO_SLUG}s{i:03d}",
                category=category,
                summary=summary,
                organisation=organisation,
                address=f"{place}{road}{rng.randint(1, 388)}号",
                phone="120" if title.endswith("急救中心") else f"0415-7{rng.randint(100000, 999999)}",
                opening_hours="24小时" if "急救" in title or "热线" in title else rng.choice(words.OPENING_HOURS),
                eligibility=eligibility,
                latitude=_coord(lat + rng.uniform(-0.006, 0.006)),
                longitude=_coord(lon + rng.uniform(-0.008, 0.008)),
                link=links.get(category, ""),
            )
        )
    pages_bulk_publish(parent=index, pages=pages)
    return f"{len(pages)} service entries"
