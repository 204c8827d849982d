"""GeoJSON import: per-feature reports, all or nothing, skipping bad features on request, the
page for staff (scope-limited) and the management command."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import AuditLog, Role
from core.tests.factories import DEFAULT_PASSWORD, make_user_with_role
from governance.geo.imports import boundaries_import
from governance.geo.index import grid_at
from governance.tests.geo_factories import box, give_tree_boundaries


@pytest.fixture
def mapped(tree):
    return give_tree_boundaries(tree)


def feature(code: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def collection(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_redrawing_two_neighbours_at_once_is_checked_against_the_new_state(mapped):
    # Moving the shared edge east: each new outline overlaps the other's *old* one, not its new one.
    data = collection(
        feature(mapped["grid_a"].code, box(124.0, 39.8, 124.07, 39.9)),
        feature(mapped["grid_a2"].code, box(124.07, 39.8, 124.1, 39.9)),
    )
    report = boundaries_import(data=data, by=None)
    assert report.ok and report.applied and report.saved == 2
    assert grid_at(latitude=39.85, longitude=124.06) == mapped["grid_a"]
    assert AuditLog.objects.filter(action="governance.area.boundary_set", detail__source="import").count() == 2


def test_one_bad_feature_means_nothing_is_imported(mapped):
    data = collection(
        feature(mapped["grid_a"].code, box(124.0, 39.8, 124.04, 39.9)),
        feature(mapped["grid_b"].code, box(124.1, 39.8, 124.3, 39.85)),  # reaches out of 乙社区
        feature("NOPE", box(124.0, 39.8, 124.01, 39.81)),
        {"type": "Feature", "properties": {}, "geometry": box(124.0, 39.8, 124.01, 39.81)},
        feature(
            mapped["grid_a2"].code, {"type": "Polygon", "coordinates": [[[124.05, 39.8], [124.1, 39.8], [124.1, 39.9]]]}
        ),
    )
    report = boundaries_import(data=data, by=None)
    assert not report.applied and report.saved == 0 and report.failed == 4
    first, outside, unknown, nameless, unclosed = report.features
    assert first.ok
    assert "乙社区" in outside.errors[0]
    assert "NOPE" in unknown.errors[0]
    assert "properties.code" in nameless.errors[0]
    assert "4" in unclosed.errors[0]  # a ring needs at least 4 positions
    mapped["grid_a"].refresh_from_db()
    assert mapped["grid_a"].boundary["coordinates"][0][1] == [124.05, 39.8]  # unchanged


def test_skip_invalid_saves_the_valid_features(mapped):
    data = collection(
        feature(mapped["grid_a"].code, box(124.0, 39.8, 124.04, 39.9)),
        feature(mapped["grid_b"].code, box(124.1, 39.8, 124.3, 39.85)),
    )
    report = boundaries_import(data=data, by=None, skip_invalid=True)
    assert report.applied and report.saved == 1 and report.failed == 1
    assert grid_at(latitude=39.85, longitude=124.045) is None


def test_a_feature_that_only_fits_beside_a_failed_one_is_dropped_too(mapped):
    # grid_a2's new outline fits beside grid_a's new one, but grid_a's redraw is invalid and is
    # skipped: grid_a keeps its old outline, which grid_a2's new one overlaps.
    data = collection(
        feature(mapped["grid_a"].code, box(124.0, 39.8, 124.04, 39.95)),  # out of 甲村
        feature(mapped["grid_a2"].code, box(124.04, 39.8, 124.1, 39.9)),
    )
    report = boundaries_import(data=data, by=None, skip_invalid=True)
    assert report.saved == 0 and report.failed == 2 and not report.applied
    assert "甲村第一网格" in report.features[1].errors[0]
    assert grid_at(latitude=39.85, longitude=124.045) == mapped["grid_a"]


@pytest.mark.parametrize(
    "raw,reason",
    [
        (b"\xff\xfe", "UTF-8"),
        (b"{not json", "JSON"),
        (b'{"type": "Polygon", "coordinates": []}', "FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "no features"),
    ],
)
def test_unusable_files_are_reported(mapped, raw, reason, settings):
    from django.utils import translation

    with translation.override("en"):
        report = boundaries_import(data=raw, by=None)
    assert not report.applied and reason in report.file_errors[0]


def test_dry_run_saves_nothing(mapped):
    data = collection(feature(mapped["grid_a"].code, box(124.0, 39.8, 124.04, 39.9)))
    report = boundaries_import(data=data, by=None, dry_run=True)
    assert report.ok and not report.applied and report.saved == 0
    assert grid_at(latitude=39.85, longitude=124.045) == mapped["grid_a"]


def test_the_page_imports_only_the_persons_areas_and_reports_in_chinese(client, mapped):
    staff = make_user_with_role(Role.COMMUNITY_STAFF, area=mapped["village_a"])
    assert client.login(username=staff.username, password=DEFAULT_PASSWORD)
    upload = SimpleUploadedFile(
        "grids.geojson",
        collection(
            feature(mapped["grid_a"].code, box(124.0, 39.8, 124.04, 39.9)),
            feature(mapped["grid_b"].code, box(124.1, 39.8, 124.12, 39.85)),  # 乙社区: not theirs
        ),
        content_type="application/geo+json",
    )
    response = client.post(reverse("governance:map_import"), {"file": upload, "crs": "wgs84"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入" in html or "没有导入" in html
    assert f"没有代码为 {mapped['grid_b'].code} 且您可以修改的区域" in html
    upload.seek(0)
    response = client.post(reverse("governance:map_import"), {"file": upload, "crs": "wgs84", "skip_invalid": "on"})
    assert "已导入 1 个边界" in response.content.decode()
    assert grid_at(latitude=39.85, longitude=124.045) is None


@pytest.mark.parametrize(
    "role,scope_key", [(Role.GRID_WORKER, "grid_a"), (Role.DEPARTMENT_STAFF, None), (Role.RESIDENT, "grid_a")]
)
def test_the_import_page_is_not_there_for_others(client, mapped, role, scope_key):
    if role == Role.DEPARTMENT_STAFF:
        from core.tests.factories import make_department

        user = make_user_with_role(role, department=make_department(mapped["city"]))
    else:
        user = make_user_with_role(role, area=mapped[scope_key])
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    assert client.get(reverse("governance:map_import")).status_code == 404


def test_management_command(mapped, tmp_path, capsys):
    good = tmp_path / "good.geojson"
    good.write_bytes(collection(feature(mapped["grid_a"].code, box(124.0, 39.8, 124.04, 39.9))))
    call_command("import_boundaries", str(good))
    assert grid_at(latitude=39.85, longitude=124.045) is None
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(collection(feature(mapped["grid_b"].code, box(124.1, 39.8, 124.3, 39.85))))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_boundaries", str(bad))
