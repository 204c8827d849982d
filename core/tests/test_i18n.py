"""The shipped translations: complete, compiled, in step with the code, and actually served."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from core.signin_throttle import lockout_message

BASE_DIR = Path(settings.BASE_DIR)
OUR_PO = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MACHINA_PO = BASE_DIR / "locale_vendor" / "machina" / "zh_Hans" / "LC_MESSAGES" / "django.po"
WAGTAIL_POS = sorted((BASE_DIR / "locale_vendor" / "wagtail" / "zh_Hans" / "LC_MESSAGES").glob("*.po"))
# New apps keep their own catalogue (<app>/locale/zh_Hans/…): checked like ours, and counted as
# covering their strings below.
# Nested apps (governance.reports) too.
APP_POS = sorted(
    po
    for pattern in ("*/locale/zh_Hans/LC_MESSAGES/django.po", "*/*/locale/zh_Hans/LC_MESSAGES/django.po")
    for po in BASE_DIR.glob(pattern)
    if ".venv" not in po.parts
)
CATALOGUES = [
    pytest.param(OUR_PO, id="ours"),
    pytest.param(MACHINA_PO, id="machina"),
    *(pytest.param(po, id=f"wagtail-{po.stem}") for po in WAGTAIL_POS),
    *(pytest.param(po, id=po.parts[-5]) for po in APP_POS),
]

# What makemessages walks, mirrored into a scratch copy (the documented command's --ignore list).
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
SKIPPED_DIRS = {".venv", "var", ".git", "locale", "locale_vendor", "node_modules", "__pycache__"}


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])? (".*")$')


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for the files makemessages and msgmerge write."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, target = Entry(), None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
            elif line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif match := _KEYWORD.match(line):
                keyword, index, literal = match.groups()
                value = ast.literal_eval(literal)
                target = (keyword, int(index or 0))
                if keyword == "msgstr":
                    entry.msgstr[target[1]] = value
                else:
                    setattr(entry, keyword, value)
            elif line.startswith('"') and target is not None:
                keyword, index = target
                value = ast.literal_eval(line)
                if keyword == "msgstr":
                    entry.msgstr[index] += value
                else:
                    setattr(entry, keyword, getattr(entry, keyword) + value)
        if entry.msgstr or entry.obsolete:
            entries.append(entry)
    return entries


def messages(path: Path) -> list[Entry]:
    """Every live entry except the header."""
    return [e for e in parse_po(path) if e.msgid and not e.obsolete]


@pytest.mark.parametrize("po", CATALOGUES)
def test_catalogue_is_complete(po: Path) -> None:
    entries = messages(po)
    assert len(entries) > 50 or (po in WAGTAIL_POS and len(entries) >= 10)  # supplements are small
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    empty = [e.msgid for e in entries if not e.msgstr or not all(e.msgstr.values())]
    obsolete = [e.msgid for e in parse_po(po) if e.obsolete]
    assert not fuzzy, f"fuzzy entries in {po.relative_to(BASE_DIR)}: {fuzzy}"
    assert not empty, f"untranslated entries in {po.relative_to(BASE_DIR)}: {empty}"
    assert not obsolete, f"obsolete entries in {po.relative_to(BASE_DIR)}: {obsolete}"
    header = next(e for e in parse_po(po) if e.msgid == "")
    assert "Language: zh_Hans\n" in header.msgstr[0]
    assert "fuzzy" not in header.flags


@pytest.mark.parametrize("po", CATALOGUES)
def test_compiled_catalogue_matches_source(po: Path) -> None:
    """The committed .mo is what a machine without gettext tools serves: it must be the .po, compiled."""
    with po.with_suffix(".mo").open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)._catalog
    expected: dict[object, str] = {}
    for e in messages(po):
        msgid = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt is not None else e.msgid
        if e.msgid_plural is None:
            expected[msgid] = e.msgstr[0]
        else:
            expected.update({(msgid, n): text for n, text in e.msgstr.items()})
    compiled.pop("", None)  # the header
    stale = {k: (compiled.get(k), v) for k, v in expected.items() if compiled.get(k) != v}
    assert not stale, f"{po.with_suffix('.mo').name} is out of date; recompile it: {stale}"
    assert set(compiled) == set(expected)


def _mirror_sources(src: Path, dst: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        # Prune while walking: the virtualenv alone holds tens of thousands of files.
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not (here == src and d == "tests")]
        for name in filenames:
            if Path(name).suffix in SOURCE_SUFFIXES:
                target = dst / (here / name).relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / name, target)


def test_catalogue_covers_every_string_in_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """makemessages over a copy of the sources finds nothing the committed catalogue lacks."""
    missing_tools = [tool for tool in ("xgettext", "msguniq", "msgattrib") if shutil.which(tool) is None]
    if missing_tools:
        pytest.fail(f"gettext is not installed (no {', '.join(missing_tools)}): apt-get install gettext", pytrace=False)
    source = tmp_path / "src"
    _mirror_sources(BASE_DIR, source)
    locale_dir = source / "locale"
    locale_dir.mkdir()
    monkeypatch.chdir(source)
    # The copy's own locale/ only: makemessages writes to the first of LOCALE_PATHS.
    with override_settings(LOCALE_PATHS=[locale_dir]):
        call_command("makemessages", locale=["zh_Hans"], ignore_patterns=["tests/*"], no_obsolete=True, verbosity=0)
    extracted = {e.key: e for e in messages(locale_dir / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    committed = {e.key for e in messages(OUR_PO)}
    in_apps = {e.key for po in APP_POS for e in messages(po)}
    missing = sorted(str(k) for k in extracted.keys() - committed - in_apps)
    unused = sorted(str(k) for k in committed - extracted.keys())
    assert not missing, f"strings not in locale/zh_Hans (run makemessages and translate them): {missing}"
    assert not unused, f"entries in locale/zh_Hans no longer in the code: {unused}"


@pytest.mark.django_db
def test_home_page_is_chinese_by_default_and_english_on_request(client) -> None:
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "智慧党建平台 · 开源软件" in html
    assert "Log in" not in html

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html and "Smart Party-Building Platform · open-source software" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_login_page_follows_the_chosen_language(client) -> None:
    assert "用户名或手机号" in client.get(reverse("core:login")).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("core:login")).content.decode()
    assert "Username or mobile number" in html and "<title>Log in · Smart Party-Building Platform</title>" in html


@pytest.mark.django_db
def test_forum_is_chinese_in_zh_hans(client, django_user_model) -> None:
    html = client.get("/forum/").content.decode()
    assert "<title>党员问答" in html and "最新问题" in html and "Latest questions" not in html
    # machina's own pages that remain (member profiles …) are translated by the vendored catalogue.
    user = django_user_model.objects.create(username="zh-hans-check")
    html = client.get(f"/forum/member/profile/{user.pk}/").content.decode()
    assert "高级搜索" in html and "Advanced search" not in html


def test_throttle_message_agrees_with_the_number_of_minutes() -> None:
    with translation.override("en"):
        assert lockout_message(1).endswith("in 1 minute.")
        assert lockout_message(15).endswith("in 15 minutes.")
    with translation.override("zh-hans"):
        assert lockout_message(15) == "登录失败次数过多，请 15 分钟后再试。"
