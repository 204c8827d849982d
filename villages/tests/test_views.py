"""Village pages through the test client: enter, submit, lock, correct; the analysis pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from core.models import Role
from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
from villages.models import Correction, Industry, IndustryKind, VillageYear

pytestmark = pytest.mark.django_db

FIGURES = {
    "year-operating_income": "30000",
    "year-contract_income": "20000",
    "year-investment_income": "0",
    "year-subsidy_income": "25000",
    "year-other_income": "5000",
    "year-expenditure": "40000",
    "year-assets": "1500000",
    "year-liabilities": "0",
    "year-note": "",
    "year-reason": "",
    "save_year": "1",
}


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def test_enter_submit_lock_and_correct_through_the_pages(client, tree):
    village_staff = make_user_with_role(Role.COMMUNITY_STAFF, area=tree["village_a"])
    town_staff = make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"])
    other_town = make_user_with_role(Role.TOWN_STAFF, area=tree["town_b"])
    village = tree["village_a"]
    url = reverse("villages:year_detail", args=[village.pk, 2025])

    login(client, village_staff)
    assert client.post(url, FIGURES).status_code == 302
    vy = VillageYear.objects.get(village=village, year=2025)
    assert vy.total_income == Decimal("80000.00")
    client.post(
        reverse("villages:year_add_row", args=[village.pk, 2025, "industry"]),
        {
            "industry-kind": "planting",
            "industry-name": "草莓种植",
            "industry-scale": "120",
            "industry-unit": "亩",
            "industry-output_value": "5040000",
            "industry-households": "35",
            "industry-reason": "",
        },
    )
    assert Industry.objects.get(village_year=vy).kind == IndustryKind.PLANTING
    client.post(reverse("villages:year_action", args=[village.pk, 2025, "submit"]))
    # The village cannot lock its own year.
    assert client.post(reverse("villages:year_action", args=[village.pk, 2025, "lock"])).status_code == 404

    login(client, other_town)
    assert client.get(url).status_code == 404

    login(client, town_staff)
    client.post(reverse("villages:year_action", args=[village.pk, 2025, "lock"]))
    vy.refresh_from_db()
    assert vy.is_locked

    login(client, village_staff)
    page = client.get(url).content.decode()
    assert 'name="save_year"' not in page  # read only once locked
    assert client.post(url, {**FIGURES, "year-operating_income": "99999"}).status_code == 404
    vy.refresh_from_db()
    assert vy.operating_income == Decimal("30000.00")

    login(client, town_staff)
    response = client.post(url, {**FIGURES, "year-operating_income": "36000"})
    assert response.status_code == 200 and not Correction.objects.exists()  # no reason, no change
    client.post(url, {**FIGURES, "year-operating_income": "36000", "year-reason": "补录门市房租金"})
    vy.refresh_from_db()
    correction = Correction.objects.get()
    assert vy.operating_income == Decimal("36000.00") and vy.is_locked
    assert (correction.old_value, correction.new_value, correction.reason) == ("30000.00", "36000.00", "补录门市房租金")
    assert "补录门市房租金" in client.get(url).content.decode()


@override_settings(VILLAGES_WEAK_INCOME_YUAN=100_000)
def test_analysis_shows_weak_villages_and_industry_mix(client, tree):
    town_staff = make_user_with_role(Role.TOWN_STAFF, area=tree["town_a"])
    ops = make_user_with_role(Role.OPS_ADMIN)
    weak = VillageYear.objects.create(village=tree["village_a"], year=2025, subsidy_income=60000, other_income=5000)
    strong = VillageYear.objects.create(village=tree["village_b"], year=2025, operating_income=450000)
    Industry.objects.create(village_year=weak, kind="breeding", name="黄蚬子养殖", output_value=800000)
    Industry.objects.create(village_year=strong, kind="property", name="商铺租赁", output_value=300000)

    login(client, ops)
    page = client.get(reverse("villages:analysis") + "?year=2025").content.decode()
    weak_table = page.split('id="weak"')[1].split("</table>")[0]
    assert "甲村" in weak_table and "乙社区" not in weak_table
    mix = page.split('id="mix"')[1].split("</table>")[0]
    assert "养殖业" in mix and "物业租赁" in mix and "甲镇" in mix

    login(client, town_staff)
    page = client.get(reverse("villages:analysis") + "?year=2025").content.decode()
    assert "甲村" in page and "乙社区" not in page
    assert client.get(reverse("villages:village_detail", args=[tree["village_b"].pk])).status_code == 404

    resident = make_user_with_role(Role.RESIDENT, area=tree["grid_a"])
    login(client, resident)
    assert client.get(reverse("villages:analysis")).status_code == 404
    assert client.get(reverse("villages:index")).status_code == 404
