"""The map's page and JSON through the test client: who sees which areas (role × scope), what the
card shows, redrawing a boundary, GCJ-02 display, and search."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import Area, AuditLog, Membership, Role
from core.tests.factories import DEFAULT_PASSWORD, make_department, make_party_org, make_user_with_role
from governance.geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from governance.geo.index import grid_at
from governance.tests.geo_factories import TREE_BOXES, box, give_tree_boundaries

ALL_KEYS = ["city", "town_a", "town_b", "village_a", "village_b", "grid_a", "grid_a2", "grid_b"]


@pytest.fixture
def mapped(tree):
    return give_tree_boundaries(tree)


def person(role: str, tree: dict, scope_key: str | None = None) -> object:
    if role == Role.DEPARTMENT_STAFF:
        return make_user_with_role(role, department=make_department(tree["city"]))
    if role == Role.MEMBER:
        return make_user_with_role(role, party_org=make_party_org(area=tree["grid_a"]))
    if scope_key is None:
        return make_user_with_role(role)
    return make_user_with_role(role, area=tree[scope_key])


def signed_in(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


# (role, scope, the areas they see)
MATRIX = [
    (Role.OPS_ADMIN, None, ALL_KEYS),
    (Role.DEPARTMENT_STAFF, None, ALL_KEYS),
    (Role.TOWN_STAFF, "town_a", ["town_a", "village_a", "grid_a", "grid_a2"]),
    (Role.COMMUNITY_STAFF, "village_a", ["village_a", "grid_a", "grid_a2"]),
    (Role.GRID_WORKER, "grid_a", ["grid_a"]),
    (Role.RESIDENT, "grid_a", []),
    (Role.MEMBER, None, []),
    (Role.EDITOR, None, []),
]


@pytest.mark.parametrize("role,scope_key,visible", MATRIX)
def test_map_data_role_by_scope(client, mapped, role, scope_key, visible):
    signed_in(client, person(role, mapped, scope_key))
    assert client.get(reverse("governance:map")).status_code == (200 if visible else 404)
    assert client.get(reverse("governance:map_areas")).status_code == (200 if visible else 404)
    assert client.get(reverse("governance:map_search"), {"q": "网格"}).status_code == (200 if visible else 404)
    for key in ALL_KEYS:
        expected = 200 if key in visible else 404
        area = mapped[key]
        assert client.get(reverse("governance:map_area", args=[area.pk])).status_code == expected, key
        assert client.get(reverse("governance:map_areas"), {"parent": area.pk}).status_code == expected, key
    assert client.get(reverse("governance:map_area", args=[999999])).status_code == 404
    assert client.get(reverse("governance:map_areas"), {"parent": "x"}).status_code == 404
    if visible:
        found = {r["name"] for r in client.get(reverse("governance:map_search"), {"q": "网格"}).json()["results"]}
        assert found == {mapped[k].name for k in visible if mapped[k].level == Area.Level.GRID}


def test_signed_out_visitors_are_sent_to_sign_in(client, mapped):
    response = client.get(reverse("governance:map_areas"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_top_areas_then_drill_down(client, mapped):
    signed_in(client, person(Role.OPS_ADMIN, mapped))
    top = client.get(reverse("governance:map_areas")).json()
    assert [a["name"] for a in top["areas"]] == ["测试市"] and top["areas"][0]["children"] == 2
    towns = client.get(reverse("governance:map_areas"), {"parent": mapped["city"].pk}).json()
    assert [a["name"] for a in towns["areas"]] == ["甲镇", "乙街道"]
    assert towns["parent"]["boundary"]["type"] == "Polygon"
    grids = client.get(reverse("governance:map_areas"), {"parent": mapped["village_a"].pk}).json()
    assert [t["name"] for t in grids["trail"]] == ["测试市", "甲镇", "甲村"]
    ring = grids["areas"][0]["boundary"]["coordinates"][0]
    assert [124.0, 39.8] in ring and [124.05, 39.9] in ring
    every_grid = client.get(reverse("governance:map_areas"), {"parent": mapped["city"].pk, "level": 4}).json()
    assert len(every_grid["areas"]) == 3


def test_a_community_worker_trail_starts_at_their_community(client, mapped):
    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    top = client.get(reverse("governance:map_areas")).json()
    assert [a["name"] for a in top["areas"]] == ["甲村"]
    grids = client.get(reverse("governance:map_areas"), {"parent": mapped["village_a"].pk}).json()
    assert [t["name"] for t in grids["trail"]] == ["甲村"]  # 甲镇 and the city are not theirs


def test_grid_card_shows_workers_masked_and_counts(client, mapped):
    grid = mapped["grid_a"]
    Area.objects.filter(pk=grid.pk).update(households=420, population=1100)
    full = make_user_with_role(Role.GRID_WORKER, area=grid)
    full.name, full.mobile = "张丽", "13912345678"
    full.save()
    Membership.objects.filter(user=full).update(worker_kind=Membership.WorkerKind.FULL_TIME)
    part = make_user_with_role(Role.GRID_WORKER, area=grid)
    Membership.objects.filter(user=part).update(worker_kind=Membership.WorkerKind.PART_TIME)

    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    card = client.get(reverse("governance:map_area", args=[grid.pk])).json()
    assert card["households"] == 420 and card["population"] == 1100
    assert {"name": "张丽", "kind": "专职", "phone": "139****5678"} in card["workers"]
    assert any(w["kind"] == "兼职" for w in card["workers"])
    assert "13912345678" not in json.dumps(card)
    assert card["can_edit"] is True and card["boundary"]["type"] == "Polygon"


def test_departments_see_outlines_but_no_residents_data(client, mapped):
    signed_in(client, person(Role.DEPARTMENT_STAFF, mapped))
    card = client.get(reverse("governance:map_area", args=[mapped["grid_a"].pk])).json()
    assert card["residents_data"] is False
    assert "households" not in card and "population" not in card
    assert card["can_edit"] is False and card["boundary"] is not None


def test_all_grids_json_is_compact_and_gzipped(client, mapped):
    signed_in(client, person(Role.OPS_ADMIN, mapped))
    response = client.get(
        reverse("governance:map_areas"), {"parent": mapped["city"].pk, "level": 4}, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.content)
    assert b", " not in body  # no padding in the separators
    assert len(json.loads(body)["areas"]) == 3


def test_areas_query_count_does_not_grow_with_areas(client, mapped, django_assert_max_num_queries):
    signed_in(client, person(Role.OPS_ADMIN, mapped))
    client.get(reverse("governance:map_areas"))  # session, memberships warmed
    with django_assert_max_num_queries(6):
        client.get(reverse("governance:map_areas"), {"parent": mapped["city"].pk, "level": 4})


# --- Redrawing boundaries -----------------------------------------------------------------------

EDIT_MATRIX = [
    (Role.OPS_ADMIN, None, {"grid_a": 200, "village_a": 200, "grid_b": 200}),
    (Role.TOWN_STAFF, "town_a", {"grid_a": 200, "village_a": 200, "town_a": 404, "grid_b": 404}),
    (Role.COMMUNITY_STAFF, "village_a", {"grid_a": 200, "village_a": 404, "grid_b": 404}),
    (Role.GRID_WORKER, "grid_a", {"grid_a": 404}),
    (Role.DEPARTMENT_STAFF, None, {"grid_a": 404}),
    (Role.RESIDENT, "grid_a", {"grid_a": 404}),
]


@pytest.mark.parametrize("role,scope_key,expected", EDIT_MATRIX)
def test_who_may_redraw_which_boundary(client, mapped, role, scope_key, expected):
    user = person(role, mapped, scope_key)
    signed_in(client, user)
    for key, status in expected.items():
        # The same outline as now: valid wherever the person may save it.
        response = client.post(
            reverse("governance:map_boundary", args=[mapped[key].pk]),
            data=json.dumps({"boundary": box(*TREE_BOXES[key])}),
            content_type="application/json",
        )
        assert response.status_code == status, key
        logged = AuditLog.objects.filter(
            actor=user, action="governance.area.boundary_set", object_id=str(mapped[key].pk)
        )
        assert logged.exists() == (status == 200)


def test_a_redrawn_grid_is_found_by_point_lookup_at_once(client, mapped):
    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    assert grid_at(latitude=39.85, longitude=124.02) == mapped["grid_a"]
    response = client.post(
        reverse("governance:map_boundary", args=[mapped["grid_a"].pk]),
        data=json.dumps({"boundary": box(124.0, 39.85, 124.05, 39.9)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert grid_at(latitude=39.82, longitude=124.02) is None
    assert grid_at(latitude=39.87, longitude=124.02) == mapped["grid_a"]


def test_an_invalid_drawing_is_refused_with_reasons_in_chinese(client, mapped):
    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    url = reverse("governance:map_boundary", args=[mapped["grid_a"].pk])
    over_neighbour = client.post(
        url, data=json.dumps({"boundary": box(124.0, 39.8, 124.08, 39.9)}), content_type="application/json"
    )
    assert over_neighbour.status_code == 400
    assert any("甲村第二网格" in e and "重叠" in e for e in over_neighbour.json()["errors"])
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[124.0, 39.8], [124.05, 39.9], [124.05, 39.8], [124.0, 39.9], [124.0, 39.8]]],
    }
    crossed = client.post(url, data=json.dumps({"boundary": bow_tie}), content_type="application/json")
    assert crossed.status_code == 400 and "自相交" in crossed.json()["errors"][0]
    assert client.post(url, data="not json", content_type="application/json").status_code == 400
    assert (
        client.post(
            url,
            data=json.dumps({"boundary": {"type": "Polygon", "coordinates": [[["a"]]]}}),
            content_type="application/json",
        ).status_code
        == 400
    )


# --- GCJ-02 tiles ---------------------------------------------------------------------------------

KNOWN_PAIRS = [
    # WGS-84 (lat, lon) → GCJ-02 (lat, lon): the pairs published with eviltransform and coordtransform.
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
]


@pytest.mark.parametrize("wgs,gcj", KNOWN_PAIRS)
def test_gcj02_transform_matches_published_pairs(wgs, gcj):
    lon, lat = wgs84_to_gcj02(wgs[1], wgs[0])
    assert lat == pytest.approx(gcj[0], abs=1e-9) and lon == pytest.approx(gcj[1], abs=1e-9)
    back_lon, back_lat = gcj02_to_wgs84(gcj[1], gcj[0])
    assert back_lat == pytest.approx(wgs[0], abs=1e-8) and back_lon == pytest.approx(wgs[1], abs=1e-8)


def test_outside_china_nothing_moves():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_gcj02_tiles_get_converted_outlines_and_drawings_come_back_in_wgs84(client, mapped, settings):
    settings.MAP_TILE_CRS = "gcj02"
    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    data = client.get(reverse("governance:map_areas"), {"parent": mapped["village_a"].pk}).json()
    assert data["crs"] == "gcj02"
    shown = data["areas"][0]["boundary"]["coordinates"][0][0]
    expected = wgs84_to_gcj02(124.0, 39.8)
    assert shown == [round(expected[0], 5), round(expected[1], 5)]
    # The person draws on GCJ-02 tiles; the stored boundary is WGS-84.
    drawn_corners = [wgs84_to_gcj02(x, y) for x, y in [(124.0, 39.8), (124.05, 39.8), (124.05, 39.85), (124.0, 39.85)]]
    ring = [list(p) for p in drawn_corners] + [list(drawn_corners[0])]
    response = client.post(
        reverse("governance:map_boundary", args=[mapped["grid_a"].pk]),
        data=json.dumps({"boundary": {"type": "Polygon", "coordinates": [ring]}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    mapped["grid_a"].refresh_from_db()
    stored = mapped["grid_a"].boundary["coordinates"][0]
    assert [124.05, 39.85] in stored and [124.0, 39.8] in stored


def test_the_page_carries_its_settings_without_inline_code(client, mapped, settings):
    settings.MAP_TILE_URL = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Example Maps GS(2026)0001"
    signed_in(client, person(Role.OPS_ADMIN, mapped))
    html = client.get(reverse("governance:map")).content.decode()
    assert 'id="geo-config" type="application/json"' in html
    assert "tiles.example.cn/{z}/{x}/{y}.png" in html and "Example Maps GS(2026)0001" in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html and "leaflet-geoman" in html
    assert "<script>" not in html


def test_editing_tools_are_not_sent_to_people_who_cannot_edit(client, mapped):
    signed_in(client, person(Role.GRID_WORKER, mapped, "grid_a"))
    assert "leaflet-geoman" not in client.get(reverse("governance:map")).content.decode()


# --- Buildings on the map, search by address, open visits on the card ------------------------


def _buildings_of(mapped):
    from governance.tests.factories import make_building

    return {
        "a": make_building(mapped["grid_a"], name="阳光小区3号楼", address="滨海路18号", **at(39.85, 124.02)),
        "a_unplaced": make_building(mapped["grid_a"], name="阳光小区5号楼", address="滨海路20号"),
        "b": make_building(mapped["grid_b"], name="江畔花园1号楼", address="滨海路99号", **at(39.82, 124.12)),
    }


BUILDING_MATRIX = [
    (Role.OPS_ADMIN, None, {"grid_a", "grid_a2", "grid_b"}),
    (Role.DEPARTMENT_STAFF, None, {"grid_a", "grid_a2", "grid_b"}),
    (Role.TOWN_STAFF, "town_a", {"grid_a", "grid_a2"}),
    (Role.COMMUNITY_STAFF, "village_a", {"grid_a", "grid_a2"}),
    (Role.GRID_WORKER, "grid_a", {"grid_a"}),
    (Role.RESIDENT, "grid_a", set()),
    (Role.MEMBER, None, set()),
]


@pytest.mark.parametrize("role,scope_key,visible", BUILDING_MATRIX)
def test_building_markers_and_address_search_role_by_scope(client, mapped, role, scope_key, visible):
    buildings = _buildings_of(mapped)
    signed_in(client, person(role, mapped, scope_key))
    for key in ("grid_a", "grid_a2", "grid_b"):
        response = client.get(reverse("governance:map_buildings", args=[mapped[key].pk]))
        assert response.status_code == (200 if key in visible else 404), key
    # Only grids carry building markers: a community's would be thousands of points.
    assert client.get(reverse("governance:map_buildings", args=[mapped["village_a"].pk])).status_code == 404
    assert client.get(reverse("governance:map_buildings", args=[999999])).status_code == 404
    response = client.get(reverse("governance:map_search"), {"q": "滨海路"})
    if not visible:
        assert response.status_code == 404
        return
    found = {r["id"] for r in response.json()["results"] if r["kind"] == "building"}
    expected = {b.pk for b in buildings.values() if any(b.grid_id == mapped[k].pk for k in visible)}
    assert found == expected


def test_grid_markers_carry_positions_and_plan_links_only_for_those_who_see_residents(client, mapped):
    buildings = _buildings_of(mapped)
    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    data = client.get(reverse("governance:map_buildings", args=[mapped["grid_a"].pk])).json()
    rows = {b["id"]: b for b in data["buildings"]}
    placed, unplaced = rows[buildings["a"].pk], rows[buildings["a_unplaced"].pk]
    assert placed["at"] == [39.85, 124.02] and placed["address"] == "滨海路18号"
    assert placed["households"] == 12  # 2 units × 3 floors × 2
    assert placed["url"] == reverse("governance:building_detail", args=[buildings["a"].pk])
    assert client.get(placed["url"]).status_code == 200
    assert unplaced["at"] is None and unplaced["url"]

    client.logout()
    signed_in(client, person(Role.DEPARTMENT_STAFF, mapped))
    rows = client.get(reverse("governance:map_buildings", args=[mapped["grid_a"].pk])).json()["buildings"]
    assert {b["id"] for b in rows} == {buildings["a"].pk, buildings["a_unplaced"].pk}
    assert all("url" not in b and "households" not in b for b in rows)


def test_search_finds_buildings_by_address_or_name_with_their_grid(client, mapped):
    buildings = _buildings_of(mapped)
    signed_in(client, person(Role.GRID_WORKER, mapped, "grid_a"))
    results = client.get(reverse("governance:map_search"), {"q": "18号"}).json()["results"]
    assert results == [
        {
            "kind": "building",
            "id": buildings["a"].pk,
            "name": "阳光小区3号楼",
            "address": "滨海路18号",
            "grid": mapped["grid_a"].pk,
            "at": [39.85, 124.02],
            "context": "滨海路18号 · 甲村第一网格",
        }
    ]
    by_name = client.get(reverse("governance:map_search"), {"q": "阳光小区"}).json()["results"]
    assert [r["id"] for r in by_name] == sorted([buildings["a"].pk, buildings["a_unplaced"].pk])
    assert client.get(reverse("governance:map_search"), {"q": "江畔"}).json()["results"] == []


def test_building_markers_follow_gcj02_tiles(client, mapped, settings):
    _buildings_of(mapped)
    settings.MAP_TILE_CRS = "gcj02"
    signed_in(client, person(Role.OPS_ADMIN, mapped))
    rows = client.get(reverse("governance:map_buildings", args=[mapped["grid_a"].pk])).json()["buildings"]
    placed = next(b for b in rows if b["at"])
    lon, lat = wgs84_to_gcj02(124.02, 39.85)
    assert placed["at"] == [round(lat, 5), round(lon, 5)] and placed["at"] != [39.85, 124.02]


def test_card_shows_open_visits_overdue_and_due_this_week(client, mapped):
    import datetime

    from django.utils import timezone

    from governance.models import Resident
    from governance.tests.factories import household_of, make_resident

    buildings = _buildings_of(mapped)
    today = timezone.localdate()
    home = household_of(buildings["a"])
    late = [make_resident(home) for _ in range(2)]
    soon = make_resident(home)
    later = make_resident(home)
    moved = make_resident(home)
    Resident.objects.filter(pk__in=[r.pk for r in late]).update(next_visit_due=today - datetime.timedelta(days=3))
    Resident.objects.filter(pk=soon.pk).update(next_visit_due=today + datetime.timedelta(days=2))
    Resident.objects.filter(pk=later.pk).update(next_visit_due=today + datetime.timedelta(days=40))
    Resident.objects.filter(pk=moved.pk).update(next_visit_due=today - datetime.timedelta(days=3), moved_out_on=today)

    signed_in(client, person(Role.COMMUNITY_STAFF, mapped, "village_a"))
    card = client.get(reverse("governance:map_area", args=[mapped["grid_a"].pk])).json()
    assert card["open_visits"] == {
        "overdue": 2,
        "due": 1,
        "url": reverse("governance:visits_area", args=[mapped["grid_a"].pk]),
    }
    assert client.get(card["open_visits"]["url"]).status_code == 200
    # A community's card adds up its grids; a grid with nobody to visit says 0, not nothing.
    village = client.get(reverse("governance:map_area", args=[mapped["village_a"].pk])).json()
    assert village["open_visits"]["overdue"] == 2 and village["open_visits"]["due"] == 1
    empty = client.get(reverse("governance:map_area", args=[mapped["grid_a2"].pk])).json()
    assert empty["open_visits"]["overdue"] == 0 and empty["open_visits"]["due"] == 0

    client.logout()
    signed_in(client, person(Role.DEPARTMENT_STAFF, mapped))
    assert "open_visits" not in client.get(reverse("governance:map_area", args=[mapped["grid_a"].pk])).json()


def at(latitude: float, longitude: float) -> dict:
    return {"latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}
