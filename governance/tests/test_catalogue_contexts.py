"""Words that mean different things on different screens read right on each: Django merges every
catalogue into one, the site's (LOCALE_PATHS) over the apps', earlier apps over later ones, so the
same English word can only have one bare translation. Governance's own senses carry a context."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from core.models import Role
from core.tests.factories import make_user_with_role
from governance.models import Building, Household, Visit
from governance.reports.models import Category, Priority, Report

BASE = Path(settings.BASE_DIR)
SITE_PO = BASE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
OUR_POS = [
    BASE / "governance" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
    BASE / "governance" / "reports" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
]


def bare_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr for the entries without a context (and without plurals)."""
    entries = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if len(lines) == 2 and lines[0].startswith('msgid "') and lines[1].startswith('msgstr "'):
            entries[re.sub(r'^msgid "|"$', "", lines[0])] = re.sub(r'^msgstr "|"$', "", lines[1])
    return entries


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_each_sense_of_a_shared_word_reads_right():
    # Visits are 已逾期 / 待走访; reports and the dashboards' report figures are 超期; a party
    # meeting's "Due" is the party app's word, not a visit's.
    assert pgettext("visit", "Overdue") == "已逾期" and gettext("Overdue") == "超期"
    assert pgettext("visit", "Due") == "待走访" and gettext("Due") != "待走访"
    # A building's 单元 is not a member's 所在单位; a visit's 记录 is not the other apps' 备注.
    assert pgettext("building unit", "unit") == "单元" and gettext("unit") != "单元"
    assert pgettext("visit", "note") == "记录" and gettext("note") == "备注"
    assert str(Visit.Outcome.NORMAL.label) == "正常" and str(Priority.NORMAL.label) == "普通"
    assert str(Household._meta.get_field("unit").verbose_name) == "单元"
    assert str(Report._meta.get_field("address").verbose_name) == "地址"
    assert str(Report._meta.get_field("description").verbose_name) == "说明"
    assert str(Report._meta.get_field("category").verbose_name) == "类别"
    assert str(Category._meta.get_field("description").verbose_name) == "说明"
    assert str(Building._meta.get_field("address").verbose_name) == "住址"


@pytest.mark.parametrize("po", OUR_POS, ids=lambda p: p.parts[-5])
def test_no_bare_entry_of_ours_is_silently_overridden_by_the_site_catalogue(po):
    """An app entry the site catalogue translates differently never shows: give it a context."""
    site = bare_entries(SITE_PO)
    shadowed = {k: (v, site[k]) for k, v in bare_entries(po).items() if k in site and site[k] != v}
    assert not shadowed, shadowed


@pytest.mark.django_db
def test_the_screens_read_their_own_word(client, tree):
    ops = make_user_with_role(Role.OPS_ADMIN)
    client.force_login(ops)
    centre = client.get(reverse("governance:reports:centre")).content.decode()
    assert "超期 (" in centre and "问题类别" in centre
