"""Visits (定期联系走访): the service and the kept plan, the due/overdue reads and their counts per area,
raising a visit as a problem report, the daily reminder, and the pages role by role."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.models import AuditLog, Notification, Role
from core.services.orgs import membership_grant
from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
from governance.models import Resident, Visit, VisitReminder
from governance.reports.models import Report, ReportPhoto, Source
from governance.reports.tests.factories import jpeg_bytes, make_category, make_rule
from governance.selectors import residents_to_visit, visit_counts_by_grid, visit_counts_for_areas
from governance.services.visits import REMINDER_KIND, visit_raise_report, visit_record, visits_remind
from governance.tests.factories import household_of, make_building, make_resident
from governance.tests.test_views import user_for

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def upload(data: bytes, name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def set_plan(resident: Resident, due: datetime.date | None) -> Resident:
    Resident.objects.filter(pk=resident.pk).update(next_visit_due=due)
    resident.refresh_from_db()
    return resident


@pytest.fixture
def homes(tree):
    building_a = make_building(tree["grid_a"], number="3", address="幸福路3号")
    building_a2 = make_building(tree["grid_a2"], number="5", address="和平街5号")
    building_b = make_building(tree["grid_b"], number="1", address="滨江路1号", latitude="39.825", longitude="124.125")
    return {
        "a": household_of(building_a, "1-201"),
        "a2": household_of(building_a2, "1-101"),
        "b": household_of(building_b, "2-301"),
    }


@pytest.fixture
def residents(homes):
    """An elder living alone (weekly) in each grid, a left-behind child's plan (fortnightly) in grid_a."""
    elder_a = make_resident(homes["a"], name="王秀兰", birth_year=1946, tags=["elderly_alone"])
    elder_a2 = make_resident(homes["a2"], name="孙桂英", birth_year=1950, tags=["elderly_alone"])
    elder_b = make_resident(homes["b"], name="赵德胜", birth_year=1944, tags=["elderly_alone"])
    untagged = make_resident(homes["a"], name="李国强", birth_year=1980, relation="child")
    return {"a": elder_a, "a2": elder_a2, "b": elder_b, "untagged": untagged}


@pytest.fixture
def worker_a(tree):
    return make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])


@pytest.fixture
def worker_b(tree):
    return make_user_with_role(Role.GRID_WORKER, area=tree["grid_b"])


def login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


# --- the service -------------------------------------------------------------------------------


def test_a_visit_moves_the_plan_on_by_the_tier_of_the_tags(residents, worker_a):
    elder = residents["a"]
    assert elder.next_visit_due == TODAY and elder.visit_interval_days == 7  # never visited: due today
    visit = visit_record(
        resident=elder, by=worker_a, visited_on=TODAY - 2 * DAY, outcome=Visit.Outcome.NORMAL, note=" 身体不错 "
    )
    elder.refresh_from_db()
    assert (elder.last_visited_on, elder.next_visit_due) == (TODAY - 2 * DAY, TODAY + 5 * DAY)
    assert (visit.grid, visit.visitor, visit.note) == (elder.grid, worker_a, "身体不错")
    assert elder.visit_state() == "due"
    audit = AuditLog.objects.get(action="governance.visit.record")
    assert audit.actor == worker_a and "身体不错" not in str(audit.detail)

    # A visit entered late, with an older date, is kept but never moves the plan backwards.
    visit_record(resident=elder, by=worker_a, visited_on=TODAY - 20 * DAY, outcome=Visit.Outcome.NORMAL, note="")
    elder.refresh_from_db()
    assert (elder.last_visited_on, elder.next_visit_due) == (TODAY - 2 * DAY, TODAY + 5 * DAY)
    assert elder.visits.count() == 2


def test_the_same_visit_sent_twice_is_saved_once(client, residents, worker_a):
    elder = residents["a"]
    login(client, worker_a)
    url = reverse("governance:visit_create", args=[elder.pk])
    form = {"visited_on": TODAY.isoformat(), "outcome": "normal", "note": "一切正常"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double tap, a retry on a flaky connection
    assert elder.visits.count() == 1
    # Another outcome or another note is another visit.
    client.post(url, {**form, "note": "下午再次上门，送去药品"})
    assert elder.visits.count() == 2


def test_the_most_frequent_tag_sets_the_interval(homes, worker_a):
    child = make_resident(homes["a"], name="李小明", birth_year=2016, tags=["left_behind_child", "disabled"])
    assert child.visit_interval_days == 14
    visit_record(resident=child, by=worker_a, visited_on=TODAY, outcome=Visit.Outcome.NORMAL, note="")
    child.refresh_from_db()
    assert child.next_visit_due == TODAY + 14 * DAY


def test_a_resident_without_a_plan_can_be_visited_and_stays_without_one(residents, worker_a):
    untagged = residents["untagged"]
    visit_record(resident=untagged, by=worker_a, visited_on=TODAY, outcome=Visit.Outcome.NORMAL, note="")
    untagged.refresh_from_db()
    assert untagged.last_visited_on == TODAY and untagged.next_visit_due is None


@pytest.mark.parametrize(
    "when,moved_out,message",
    [(TODAY + DAY, False, "晚于今天"), (TODAY, True, "已迁出")],
)
def test_refused_visits_change_nothing(residents, worker_a, when, moved_out, message):
    elder = residents["a"]
    if moved_out:
        Resident.objects.filter(pk=elder.pk).update(moved_out_on=TODAY - DAY)
    with pytest.raises(ValidationError, match=message):
        visit_record(resident=elder, by=worker_a, visited_on=when, outcome=Visit.Outcome.NORMAL, note="")
    assert not Visit.objects.exists()
    elder.refresh_from_db()
    assert elder.last_visited_on is None


def test_the_photo_is_re_encoded_without_exif_and_a_non_photo_is_refused(residents, worker_a):
    elder = residents["a"]
    visit = visit_record(
        resident=elder,
        by=worker_a,
        visited_on=TODAY,
        outcome=Visit.Outcome.ABNORMAL,
        note="",
        photo=upload(jpeg_bytes(size=(3000, 2000), gps=True)),
    )
    with visit.photo.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
    assert image.format == "JPEG" and max(image.size) == 1600
    assert not image.getexif()  # no GPS, no camera make
    assert "IMG_0001" not in visit.photo.name and visit.photo.name.startswith("governance/visits/")

    with pytest.raises(ValidationError):
        visit_record(
            resident=elder,
            by=worker_a,
            visited_on=TODAY,
            outcome=Visit.Outcome.NORMAL,
            note="",
            photo=upload(b"%PDF-1.4 not a photo", "photo.jpg"),
        )
    assert elder.visits.count() == 1


# --- due and overdue ---------------------------------------------------------------------------


def test_due_means_this_week_and_overdue_means_past(residents, tree):
    a, a2, b = residents["a"], residents["a2"], residents["b"]
    set_plan(a, TODAY - DAY)  # overdue
    set_plan(a2, TODAY + 6 * DAY)  # the last day of this week: due
    set_plan(b, TODAY + 7 * DAY)  # a weekly visit made today: not due again until next week
    assert [r.visit_state(TODAY) for r in (a, a2, b)] == ["overdue", "due", ""]
    grids = [tree["grid_a"].pk, tree["grid_a2"].pk, tree["grid_b"].pk]
    assert list(residents_to_visit(grids, today=TODAY)) == [a, a2]
    assert list(residents_to_visit(grids, today=TODAY, overdue_only=True)) == [a]
    assert list(residents_to_visit([tree["grid_a2"].pk], today=TODAY)) == [a2]
    # Moved out: out of every list.
    Resident.objects.filter(pk=a.pk).update(moved_out_on=TODAY)
    assert list(residents_to_visit(grids, today=TODAY)) == [a2]


def test_counts_per_grid_community_and_town_one_query_each(residents, tree, django_assert_num_queries):
    set_plan(residents["a"], TODAY - 3 * DAY)
    set_plan(residents["a2"], TODAY + 2 * DAY)
    set_plan(residents["b"], TODAY - DAY)
    make_resident(household_of(make_building(tree["grid_b"]), "1-101"), tags=["disabled"])  # due today
    with django_assert_num_queries(1):
        towns = visit_counts_for_areas([tree["town_a"], tree["town_b"]], today=TODAY)
    assert (towns[tree["town_a"].pk].overdue, towns[tree["town_a"].pk].due, towns[tree["town_a"].pk].planned) == (
        1,
        1,
        2,
    )
    assert (towns[tree["town_b"].pk].overdue, towns[tree["town_b"].pk].due) == (1, 1)
    with django_assert_num_queries(1):
        grids = visit_counts_for_areas([tree["grid_a"], tree["grid_a2"]], today=TODAY)
    assert grids[tree["grid_a"].pk].overdue == 1 and grids[tree["grid_a2"].pk].due == 1
    with django_assert_num_queries(1):
        city = visit_counts_for_areas([tree["city"]], today=TODAY)
    assert (city[tree["city"].pk].overdue, city[tree["city"].pk].due, city[tree["city"].pk].planned) == (2, 2, 4)
    by_grid = visit_counts_by_grid(grid_ids=[tree["grid_b"].pk], today=TODAY)
    assert (by_grid[tree["grid_b"].pk].overdue, by_grid[tree["grid_b"].pk].due) == (1, 1)


# --- raising a visit as a problem report ---------------------------------------------------------


def test_a_visit_that_needs_help_becomes_a_report_once_placed_in_its_grid(residents, worker_b, tree):
    category = make_category("困难帮扶")
    department = tree["city"].departments.create(name="民政局", code="MZJ")
    make_rule(category, department)
    visit = visit_record(
        resident=residents["b"],
        by=worker_b,
        visited_on=TODAY,
        outcome=Visit.Outcome.NEEDS_HELP,
        note="老人行动不便，需要助餐服务",
        photo=upload(jpeg_bytes(gps=True)),
    )
    report = visit_raise_report(
        visit=visit, by=worker_b, category=category, description=visit.note, address="滨江路1号 1-2-301"
    )
    assert (report.source, report.visit_id, report.grid, report.reporter) == (
        Source.VISIT,
        visit.pk,
        tree["grid_b"],
        worker_b,
    )
    assert report.address == "滨江路1号 1-2-301" and float(report.latitude) == pytest.approx(39.825)
    assert report.household == residents["b"].household and report.building == residents["b"].household.building
    assert report.department == department  # dispatched by the category's rule
    assert ReportPhoto.objects.filter(report=report).count() == 1
    again = visit_raise_report(visit=visit, by=worker_b, category=category, description="再次", address="x")
    assert again == report and Report.objects.count() == 1


def test_a_normal_visit_cannot_be_raised(residents, worker_a):
    visit = visit_record(resident=residents["a"], by=worker_a, visited_on=TODAY, outcome="normal", note="")
    with pytest.raises(ValidationError):
        visit_raise_report(visit=visit, by=worker_a, category=make_category(), description="x", address="x")
    assert not Report.objects.exists()


# --- reminders ---------------------------------------------------------------------------------


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 5)))


def test_each_worker_is_reminded_once_a_day_of_their_own_grids(residents, tree, worker_a, worker_b, settings):
    settings.VISIT_REMINDER_HOUR = 8
    idle = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a2"])
    set_plan(residents["a"], TODAY - 2 * DAY)
    set_plan(residents["untagged"], None)
    set_plan(residents["a2"], TODAY + 30 * DAY)  # idle's grid: nothing due
    set_plan(residents["b"], TODAY + 3 * DAY)
    assert visits_remind(at=_at(TODAY, 6)) == 0  # not before the working day
    assert visits_remind(at=_at(TODAY, 8)) == 2
    a = Notification.objects.get(recipient=worker_a, kind=REMINDER_KIND)
    b = Notification.objects.get(recipient=worker_b, kind=REMINDER_KIND)
    assert "逾期未走访 1 人" in a.title and "本周" not in a.title
    assert "本周待走访 1 人" in b.title and a.url == reverse("governance:visits_mine")
    assert not Notification.objects.filter(recipient=idle).exists()
    # Every further run of the day (the job runs every minute) sends nothing.
    assert visits_remind(at=_at(TODAY, 8)) == 0
    assert visits_remind(at=_at(TODAY, 17)) == 0
    assert Notification.objects.filter(kind=REMINDER_KIND).count() == 2
    assert VisitReminder.objects.filter(day=TODAY).count() == 2
    # The next day, once again.
    assert visits_remind(at=_at(TODAY + DAY, 9)) == 2


def test_the_reminder_job_runs_from_the_command_line(residents, worker_a, settings):
    settings.VISIT_REMINDER_HOUR = 0
    set_plan(residents["a"], TODAY - DAY)
    out = io.StringIO()
    call_command("visits_remind", stdout=out)
    assert out.getvalue().strip() == "reminded=1"
    call_command("visits_remind", stdout=out)
    assert out.getvalue().split() == ["reminded=1", "reminded=0"]
    assert Notification.objects.filter(recipient=worker_a, kind=REMINDER_KIND).count() == 1


# --- pages -------------------------------------------------------------------------------------


def test_my_visits_lists_own_grids_with_address_and_tags(client, residents, worker_a):
    set_plan(residents["a"], TODAY - 3 * DAY)
    set_plan(residents["b"], TODAY - 3 * DAY)
    login(client, worker_a)
    response = client.get(reverse("governance:visits_mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王秀兰" in html and "幸福路3号 3-1-201" in html and "独居老人" in html
    assert "赵德胜" not in html and "孙桂英" not in html  # other grids
    assert reverse("governance:visit_create", args=[residents["a"].pk]) + "?from=mine" in html
    overdue = client.get(reverse("governance:visits_mine") + "?show=overdue").content.decode()
    assert "王秀兰" in overdue


def test_recording_a_visit_through_the_form(client, residents, worker_a):
    elder = residents["a"]
    login(client, worker_a)
    form_url = reverse("governance:visit_create", args=[elder.pk]) + "?from=mine"
    page = client.get(form_url).content.decode()
    assert f'value="{TODAY.isoformat()}"' in page  # the date starts as today
    response = client.post(
        form_url,
        {"visited_on": TODAY.isoformat(), "outcome": "normal", "note": "一切正常", "photo": upload(jpeg_bytes())},
    )
    assert response.status_code == 302 and response["Location"] == reverse("governance:visits_mine")
    elder.refresh_from_db()
    assert elder.next_visit_due == TODAY + 7 * DAY
    visit = elder.visits.get()
    assert visit.note == "一切正常" and visit.photo
    # The resident page shows the history with the photo behind an access check.
    detail = client.get(reverse("governance:resident_detail", args=[elder.pk])).content.decode()
    assert "一切正常" in detail and reverse("governance:visit_photo", args=[visit.pk]) in detail
    photo = client.get(reverse("governance:visit_photo", args=[visit.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    # A date in the future is refused on the form.
    bad = client.post(form_url, {"visited_on": (TODAY + DAY).isoformat(), "outcome": "normal"})
    assert bad.status_code == 200 and elder.visits.count() == 1


def test_an_outcome_that_needs_action_offers_the_report(client, residents, worker_b, tree):
    category = make_category("困难帮扶")
    elder = residents["b"]
    login(client, worker_b)
    response = client.post(
        reverse("governance:visit_create", args=[elder.pk]),
        {"visited_on": TODAY.isoformat(), "outcome": "needs_help", "note": "需要助餐"},
    )
    visit = elder.visits.get()
    assert response["Location"] == reverse("governance:visit_report", args=[visit.pk])
    offer = client.get(response["Location"]).content.decode()
    assert "需要助餐" in offer and "滨江路1号 1-2-301" in offer and tree["grid_b"].name in offer
    raised = client.post(
        response["Location"], {"category": category.pk, "description": "需要助餐", "address": "滨江路1号 1-2-301"}
    )
    report = Report.objects.get(visit_id=visit.pk)
    assert raised["Location"] == reverse("governance:reports:detail", args=[report.pk])
    # Once raised, the visit links to its report instead of offering it again.
    detail = client.get(reverse("governance:resident_detail", args=[elder.pk])).content.decode()
    assert reverse("governance:reports:detail", args=[report.pk]) in detail
    assert client.get(reverse("governance:visit_report", args=[visit.pk]))["Location"] == raised["Location"]


def test_staff_drill_down_from_town_to_the_residents(client, residents, tree):
    set_plan(residents["a"], TODAY - 3 * DAY)
    set_plan(residents["a2"], TODAY - 3 * DAY)
    set_plan(residents["b"], TODAY - 3 * DAY)
    town = make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"])
    login(client, town)
    # Their one place opens straight away.
    html = client.get(reverse("governance:visits_overview")).content.decode()
    assert "甲村" in html and "乙社区" not in html and 'id="total-overdue">2<' in html
    html = client.get(reverse("governance:visits_area", args=[tree["village_a"].pk])).content.decode()
    assert "甲村第一网格" in html and "甲村第二网格" in html
    html = client.get(reverse("governance:visits_area", args=[tree["grid_a"].pk])).content.decode()
    assert "王秀兰" in html and "孙桂英" not in html
    # Nobody's name is attached to a count: no worker appears on the area lists.
    assert "grid worker" not in html and "网格员" not in html


def test_the_city_overview_lists_its_towns(client, residents, tree):
    ops = make_user_with_role(Role.OPS_ADMIN)
    login(client, ops)
    response = client.get(reverse("governance:visits_overview"))
    html = response.content.decode()
    assert response.status_code == 200 and "甲镇" in html and "乙街道" in html


def test_staff_with_two_places_choose_between_them(client, residents, tree):
    staff = make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"])
    membership_grant(user=staff, role=Role.COMMUNITY_STAFF, area=tree["village_b"])
    set_plan(residents["b"], TODAY - DAY)
    login(client, staff)
    html = client.get(reverse("governance:visits_overview")).content.decode()
    assert reverse("governance:visits_area", args=[tree["village_a"].pk]) in html
    assert reverse("governance:visits_area", args=[tree["village_b"].pk]) in html
    assert "甲镇" not in html  # nothing above their places


# (role, scope) → may view grid_b's visit lists and photos, may record visits there and raise reports.
MATRIX = [
    (Role.GRID_WORKER, "grid_a", False, False),
    (Role.GRID_WORKER, "grid_b", True, True),
    (Role.COMMUNITY_STAFF, "village_a", False, False),
    (Role.COMMUNITY_STAFF, "village_b", True, True),
    (Role.TOWN_STAFF, "town_a", False, False),
    (Role.TOWN_STAFF, "town_b", True, True),
    (Role.OPS_ADMIN, None, True, False),
    (Role.DEPARTMENT_STAFF, None, False, False),
    (Role.RESIDENT, "grid_b", False, False),
    (Role.MEMBER, None, False, False),
]


@pytest.mark.parametrize("role,scope_key,can_view,can_change", MATRIX)
def test_access_matrix_on_grid_b(client, tree, residents, worker_b, role, scope_key, can_view, can_change):
    elder = residents["b"]
    visit = visit_record(
        resident=elder, by=worker_b, visited_on=TODAY, outcome="abnormal", note="", photo=upload(jpeg_bytes())
    )
    make_category()
    user = user_for(role, tree, scope_key)
    login(client, user)
    view, change = (200 if can_view else 404), (200 if can_change else 404)
    assert client.get(reverse("governance:visits_area", args=[tree["grid_b"].pk])).status_code == view
    # A grid worker's place is their grid, not the community around it.
    community_view = 200 if can_view and role != Role.GRID_WORKER else 404
    assert client.get(reverse("governance:visits_area", args=[tree["village_b"].pk])).status_code == community_view
    assert client.get(reverse("governance:visit_photo", args=[visit.pk])).status_code == view
    assert client.get(reverse("governance:visit_create", args=[elder.pk])).status_code == change
    assert client.get(reverse("governance:visit_report", args=[visit.pk])).status_code == change
    posted = client.post(
        reverse("governance:visit_create", args=[elder.pk]), {"visited_on": TODAY, "outcome": "normal"}
    )
    assert posted.status_code == (302 if can_change else 404)
    assert elder.visits.count() == (2 if can_change else 1)
    # 我的走访 is the grid worker's own list; everyone else has none.
    assert client.get(reverse("governance:visits_mine")).status_code == (200 if role == Role.GRID_WORKER else 404)
    overview = client.get(reverse("governance:visits_overview")).status_code
    assert overview == (404 if role in (Role.DEPARTMENT_STAFF, Role.RESIDENT, Role.MEMBER) else 200)


def test_missing_ids_are_404(client, worker_b):
    login(client, worker_b)
    for url in (
        reverse("governance:visit_create", args=[999999]),
        reverse("governance:visit_photo", args=[999999]),
        reverse("governance:visit_report", args=[999999]),
        reverse("governance:visits_area", args=[999999]),
    ):
        assert client.get(url).status_code == 404, url


def test_my_visits_costs_the_same_queries_for_many_residents(client, homes, tree, worker_a, django_assert_num_queries):
    def add(n: int) -> None:
        building = make_building(tree["grid_a"], unit_count=1, floor_count=n, households_per_floor=1)
        for household in building.households.all():
            make_resident(household, tags=["elderly_alone", "disabled"])

    login(client, worker_a)
    url = reverse("governance:visits_mine")
    add(3)
    client.get(url)  # warm the session
    # Session, user, memberships, counts, page count, page rows, care tags, the header's unread badge.
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    add(25)
    with django_assert_num_queries(8) as captured:
        response = client.get(url)
    assert response.content.decode().count('class="btn" href="/governance/residents/') == 28
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "governance_visit" not in sql  # never the visits table


def test_a_grid_without_a_grid_worker_reminds_its_community_staff_or_else_its_town(residents, tree, settings):
    settings.VISIT_REMINDER_HOUR = 8
    community = make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"])
    town_a = make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"])
    town_b = make_user_with_role(Role.TOWN_STAFF, area=tree["town_b"])
    worker_a2 = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a2"])
    set_plan(residents["a"], TODAY - 2 * DAY)  # grid_a: no grid worker, community staff above
    set_plan(residents["a2"], TODAY + 2 * DAY)  # grid_a2: kept by its worker
    set_plan(residents["b"], TODAY - DAY)  # grid_b: no worker and no community staff, its town above
    assert visits_remind(at=_at(TODAY, 8)) == 3
    note = Notification.objects.get(recipient=community, kind=REMINDER_KIND)
    assert note.title == "无网格员的网格（1 个）走访提醒：逾期未走访 1 人"
    assert note.url == reverse("governance:visits_overview")
    assert "本周待走访 1 人" in Notification.objects.get(recipient=worker_a2, kind=REMINDER_KIND).title
    assert "逾期未走访 1 人" in Notification.objects.get(recipient=town_b, kind=REMINDER_KIND).title
    # The town above a community that has staff is not told as well.
    assert not Notification.objects.filter(recipient=town_a).exists()
    assert visits_remind(at=_at(TODAY, 12)) == 0
    # Once grid_a has a worker, its community staff hear nothing more about it.
    worker_a = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    assert visits_remind(at=_at(TODAY + DAY, 9)) == 3  # worker_a, worker_a2, town_b
    assert Notification.objects.filter(recipient=community).count() == 1
    assert Notification.objects.filter(recipient=worker_a).count() == 1
