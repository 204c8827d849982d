"""Create the four section pages under the portal home (/news/, /updates/, /guides/, /services/)
and the page-cache generation row, so that a fresh install has the sections the portal links to."""

from django.db import migrations
from django.utils import timezone

SECTIONS = [
    ("newsindexpage", "NewsIndexPage", "新闻公告", "news", "政策动态、通知公告、基层风采"),
    ("updatesindexpage", "UpdatesIndexPage", "机关工作动态", "updates", "市直各部门的工作进展"),
    ("guideindexpage", "GuideIndexPage", "党务指南", "guides", "党员发展、组织关系转接、党费缴纳等办事指引"),
    ("serviceindexpage", "ServiceIndexPage", "便民服务", "services", "医疗就诊、法律法规、惠企政策一站查询"),
]


def _alphabet_step(n: int) -> str:
    # Treebeard's materialised path: 4 characters in base 36 (0-9A-Z) per level.
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        out = alphabet[r] + out
    return out


def create_sections(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    apps.get_model("cms.PageCacheGeneration").objects.get_or_create(name="pages", defaults={"value": 1})

    home = HomePage.objects.order_by("path").first()
    if home is None:
        return
    now = timezone.now()
    last = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).order_by("-path").first()
    position = int(last.path[-4:], 36) if last else 0
    for model_name, class_name, title, slug, intro in SECTIONS:
        Model = apps.get_model("cms", class_name)
        if Model.objects.exists() or Page.objects.filter(path__startswith=home.path, depth=home.depth + 1, slug=slug).exists():
            continue
        position += 1
        content_type, _ = ContentType.objects.get_or_create(app_label="cms", model=model_name)
        Model.objects.create(
            title=title,
            draft_title=title,
            slug=slug,
            intro=intro,
            content_type=content_type,
            path=home.path + _alphabet_step(position),
            depth=home.depth + 1,
            numchild=0,
            url_path=f"{home.url_path}{slug}/",
            locale_id=home.locale_id,
            live=True,
            first_published_at=now,
            last_published_at=now,
        )
    home_page = Page.objects.get(pk=home.pk)
    home_page.numchild = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).count()
    home_page.save(update_fields=["numchild"])


def remove_sections(apps, schema_editor):
    for _, class_name, *_rest in SECTIONS:
        apps.get_model("cms", class_name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_content_types")]

    operations = [migrations.RunPython(create_sections, remove_sections)]
