"""The pages: figures with provenance, tables beside the charts, drill-down links, Excel, records."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import load_workbook

from dashboards import registry
from dashboards.services.rollups import rollup_rebuild
from dashboards.tests.factories import make_live_event, make_world
from streaming.models import LiveEvent, VenueAttendance


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = make_world()
    ops = w.people["ops"]
    w.events = []
    for days, org, venue, headcount in [
        (3, "committee_a", 0, 15),
        (40, "committee_a", 1, 9),
        (5, "committee_b", 2, 30),
    ]:
        event = make_live_event(organiser=ops, org=w.orgs[org], days_ago=days, state=LiveEvent.State.ENDED)
        VenueAttendance.objects.create(
            event=event, venue=w.venues[venue], checked_in_at=timezone.now(), headcount=headcount
        )
        w.events.append(event)
    w.cancelled = make_live_event(organiser=ops, org=w.orgs["committee_a"], state=LiveEvent.State.CANCELLED)
    rollup_rebuild(dashboard=registry.get("live"))
    return w


def test_the_page_shows_the_figures_their_table_provenance_and_drill_down(world, client):
    client.force_login(world.people["town_a"])
    url = reverse("dashboards:dashboard", args=["live"])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["node"] == world.orgs["committee_a"]
    charts = {c.key: c for c in response.context["charts"]}
    by_org = dict((row[0], row[1]) for row in charts["participants_by_org"].rows)
    assert by_org == {"甲村第一党支部": 15, "甲村第二党支部": 9}  # never 乙街道's 30
    assert "乙社区党支部" not in page
    # Drill-down: each organisation's row links to its own figures.
    assert f"?node={world.orgs['branch_a1'].pk}&amp;" in page
    # Provenance: what, from which records, over which period, as of when.
    assert "dashboard-data" in page and '<details class="provenance">' in page
    with translation.override("zh-hans"):
        assert escape(str(registry.get("live").metric("live.checkins").records)) in page
    period = response.context["period"]
    assert period.start <= timezone.localdate() <= period.end


def test_the_period_filter_narrows_the_figures(world, client):
    client.force_login(world.people["ops"])
    today = timezone.localdate()
    month = today.strftime("%Y-%m")
    response = client.get(
        reverse("dashboards:dashboard", args=["live"]),
        {"node": world.orgs["committee_a"].pk, "from": month, "to": month},
    )
    charts = {c.key: c for c in response.context["charts"]}
    expected = 15 + (9 if (today - datetime.timedelta(days=40)).strftime("%Y-%m") == month else 0)
    assert sum(row[1] for row in charts["participants_by_org"].rows) == expected


def test_the_page_reads_rollups_in_a_fixed_number_of_queries(world, client, django_assert_max_num_queries):
    client.force_login(world.people["ops"])
    url = reverse("dashboards:dashboard", args=["live"])
    client.get(url)
    for _ in range(5):
        make_live_event(organiser=world.people["ops"], org=world.orgs["branch_b"], state=LiveEvent.State.ENDED)
    rollup_rebuild(dashboard=registry.get("live"))
    with django_assert_max_num_queries(12):
        assert client.get(url, {"node": world.orgs["committee_b"].pk}).status_code == 200


def test_excel_export_carries_the_tables_and_their_provenance(world, client):
    client.force_login(world.people["ops"])
    response = client.get(reverse("dashboards:export", args=["live"]), {"node": world.orgs["committee_b"].pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == len(registry.get("live").charts)
    values = [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "乙社区党支部" in values and 30 in values
    with translation.override("zh-hans"):
        assert str(registry.get("live").metric("live.checkins").counts) in values


def test_records_behind_the_figures_are_the_visible_events_only(world, client):
    client.force_login(world.people["town_b"])
    response = client.get(reverse("dashboards:records", args=["live"]))
    rows = response.context["rows"]
    urls = {r["url"] for r in rows}
    assert world.events[2].get_absolute_url() in urls
    assert world.events[0].get_absolute_url() not in urls
    assert world.cancelled.get_absolute_url() not in urls
