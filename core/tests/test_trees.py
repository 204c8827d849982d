"""The tree service: creating and moving areas and party organisations rewrites whole subtrees,
refuses what would corrupt a tree, and tells whoever keeps something derived from the paths."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.generation import generation_read
from core.models import Area, AuditLog, PartyOrg
from core.services.trees import (
    AREA_TREE_GENERATION,
    PARTY_ORG_TREE_GENERATION,
    area_create,
    area_update,
    party_org_create,
    party_org_update,
)
from core.signals import subtree_moved
from core.tests.factories import UserFactory, make_party_org

pytestmark = pytest.mark.django_db


def paths(*areas: Area) -> list[tuple[str, int]]:
    return [(a.path, a.depth) for a in Area.objects.filter(pk__in=[a.pk for a in areas]).order_by("pk")]


def refresh(*nodes):
    for node in nodes:
        node.refresh_from_db()


def test_create_writes_path_and_depth(tree):
    town = tree["town_a"]
    village = area_create(name="新村", code="NEW1", level=Area.Level.VILLAGE, parent=town)
    assert (village.path, village.depth) == (f"{town.path}NEW1/", 3)
    grid = area_create(name="新村第一网格", code="NEW1-1", level=Area.Level.GRID, parent=village)
    assert (grid.path, grid.depth) == (f"{town.path}NEW1/NEW1-1/", 4)


def test_create_reads_the_parents_path_as_stored_not_as_given(tree):
    stale = Area.objects.get(pk=tree["village_a"].pk)
    area_update(area=tree["village_a"], parent=tree["town_b"], code=tree["village_a"].code, by=None)
    grid = area_create(name="迟到的网格", code="LATE", level=Area.Level.GRID, parent=stale)
    assert grid.path == f"{tree['town_b'].path}{stale.code}/LATE/"


def test_create_refuses_a_taken_code_in_chinese(tree):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        area_create(name="重名村", code=tree["village_b"].code, level=Area.Level.VILLAGE, parent=tree["town_a"])
    message = caught.value.message_dict["code"][0]
    assert tree["village_b"].code in message and "乙社区" in message and "已被" in message
    assert not Area.objects.filter(name="重名村").exists()


@pytest.mark.parametrize(
    ("level", "parent"),
    [(Area.Level.VILLAGE, "city"), (Area.Level.TOWN, None), (Area.Level.CITY, "city"), (Area.Level.GRID, "town_a")],
)
def test_create_refuses_a_level_that_does_not_fit_the_parent(tree, level, parent):
    with pytest.raises(ValidationError) as caught:
        area_create(name="错层", code="WRONG", level=level, parent=tree[parent] if parent else None)
    assert "parent" in caught.value.message_dict
    assert not Area.objects.filter(code="WRONG").exists()


def test_moving_a_community_moves_its_grids(tree):
    village, grid_a, grid_a2 = tree["village_a"], tree["grid_a"], tree["grid_a2"]
    untouched = paths(tree["village_b"], tree["grid_b"], tree["town_a"])

    area_update(area=village, parent=tree["town_b"], code=village.code, by=None)

    town_b = tree["town_b"].path
    assert (village.path, village.parent_id) == (f"{town_b}{village.code}/", tree["town_b"].pk)
    refresh(grid_a, grid_a2)
    assert grid_a.path == f"{town_b}{village.code}/{grid_a.code}/" and grid_a.depth == 4
    assert grid_a2.path == f"{town_b}{village.code}/{grid_a2.code}/" and grid_a2.depth == 4
    assert paths(tree["village_b"], tree["grid_b"], tree["town_a"]) == untouched
    assert set(Area.objects.get(pk=tree["town_b"].pk).children.values_list("pk", flat=True)) == {
        tree["village_b"].pk,
        village.pk,
    }
    assert not Area.objects.filter(path__startswith=tree["town_a"].path, level=Area.Level.GRID).exists()


def test_a_new_code_rewrites_every_path_below(tree):
    town = tree["town_a"]
    area_update(area=town, parent=tree["city"], code="T-NEW", by=None)
    refresh(tree["village_a"], tree["grid_a"])
    assert town.path == f"{tree['city'].path}T-NEW/" and town.depth == 2
    assert tree["village_a"].path == f"{tree['city'].path}T-NEW/{tree['village_a'].code}/"
    assert tree["grid_a"].path.startswith(tree["village_a"].path) and tree["grid_a"].depth == 4
    assert Area.objects.filter(path__startswith=town.path).count() == 4


def test_moving_under_itself_or_below_is_refused(tree):
    before = paths(*tree.values())
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        area_update(area=tree["town_a"], parent=tree["village_a"], code=tree["town_a"].code, by=None)
    assert caught.value.message_dict["parent"] == ["不能把区域移到它自己或它的下级区域之下。"]
    committee = make_party_org(PartyOrg.Kind.COMMITTEE)
    general = make_party_org(PartyOrg.Kind.GENERAL_BRANCH, parent=committee)
    branch = make_party_org(PartyOrg.Kind.BRANCH, parent=general)
    for under in (committee, branch):
        with pytest.raises(ValidationError) as caught:
            party_org_update(org=committee, parent=under, code=committee.code, by=None)
        assert "parent" in caught.value.message_dict
    assert paths(*tree.values()) == before
    refresh(committee, general, branch)
    assert (committee.parent_id, committee.path) == (None, f"/{committee.code}/")
    assert branch.path == f"/{committee.code}/{general.code}/{branch.code}/"


def test_a_move_to_the_wrong_level_or_a_taken_code_changes_nothing(tree):
    before = paths(*tree.values())
    with pytest.raises(ValidationError):
        area_update(area=tree["village_a"], parent=tree["village_b"], code=tree["village_a"].code, by=None)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        area_update(area=tree["village_a"], parent=tree["town_b"], code=tree["grid_b"].code, by=None)
    assert "乙社区第一网格" in caught.value.message_dict["code"][0]
    assert paths(*tree.values()) == before
    assert Area.objects.get(pk=tree["village_a"].pk).parent_id == tree["town_a"].pk


def test_a_move_bumps_the_counters_and_is_audited_a_plain_edit_is_neither(tree):
    admin = UserFactory()
    counters = {name: generation_read(name) for name in (AREA_TREE_GENERATION, "geo.boundaries")}
    area_update(area=tree["village_a"], parent=tree["town_a"], code=tree["village_a"].code, by=admin, name="甲村新名")
    assert Area.objects.get(pk=tree["village_a"].pk).name == "甲村新名"
    assert {name: generation_read(name) for name in counters} == counters
    assert not AuditLog.objects.filter(action="core.area.move").exists()

    area_update(area=tree["village_a"], parent=tree["town_b"], code=tree["village_a"].code, by=admin)
    assert all(generation_read(name) != value for name, value in counters.items())
    entry = AuditLog.objects.get(action="core.area.move")
    assert entry.actor == admin and entry.object_id == str(tree["village_a"].pk)
    assert entry.detail == {"from": f"{tree['town_a'].path}{tree['village_a'].code}/", "to": tree["village_a"].path}


def test_receivers_hear_the_move_in_its_transaction_and_can_roll_it_back(tree):
    heard = []

    def listener(sender, *, move, **kwargs):
        heard.append((sender, move))
        # The paths are already rewritten when the receivers run.
        assert Area.objects.get(pk=tree["grid_a"].pk).path.startswith(move.new_path)
        raise RuntimeError("a copy could not follow")

    subtree_moved.connect(listener, sender=Area, dispatch_uid="test.listener")
    try:
        with pytest.raises(RuntimeError):
            area_update(area=tree["village_a"], parent=tree["town_b"], code=tree["village_a"].code, by=None)
    finally:
        subtree_moved.disconnect(dispatch_uid="test.listener", sender=Area)
    sender, move = heard[0]
    assert sender is Area and move.node_id == tree["village_a"].pk
    assert move.old_ancestor_ids == (tree["city"].pk, tree["town_a"].pk)
    assert move.new_ancestor_ids == (tree["city"].pk, tree["town_b"].pk)
    assert Area.objects.get(pk=tree["grid_a"].pk).path.startswith(tree["town_a"].path)  # rolled back


def test_party_organisations_move_with_their_branches(tree):
    city_committee = make_party_org(PartyOrg.Kind.COMMITTEE, name="市委")
    town_a = make_party_org(PartyOrg.Kind.COMMITTEE, parent=city_committee, name="甲镇党委")
    town_b = make_party_org(PartyOrg.Kind.COMMITTEE, parent=city_committee, name="乙街道党委")
    general = make_party_org(PartyOrg.Kind.GENERAL_BRANCH, parent=town_a, name="甲村党总支")
    branch = make_party_org(PartyOrg.Kind.BRANCH, parent=general, name="甲村第一党支部", area=tree["village_a"])
    counter = generation_read(PARTY_ORG_TREE_GENERATION)

    party_org_update(org=general, parent=town_b, code=general.code, by=None, name="甲村党总支（划转）")

    refresh(general, branch)
    assert general.path == f"{town_b.path}{general.code}/" and general.depth == 3
    assert general.name == "甲村党总支（划转）"
    assert branch.path == f"{town_b.path}{general.code}/{branch.code}/" and branch.depth == 4
    assert branch.area_id == tree["village_a"].pk
    assert generation_read(PARTY_ORG_TREE_GENERATION) != counter


def test_party_org_create_refuses_a_taken_code(tree):
    org = party_org_create(name="一支部", code="PX1", kind=PartyOrg.Kind.BRANCH)
    with pytest.raises(ValidationError) as caught:
        party_org_create(name="二支部", code="PX1", kind=PartyOrg.Kind.BRANCH)
    assert "code" in caught.value.message_dict
    assert list(PartyOrg.objects.filter(code="PX1")) == [org]


def test_tree_fields_are_not_plain_fields(tree):
    with pytest.raises(TypeError):
        area_update(area=tree["grid_a"], parent=tree["village_a"], code=tree["grid_a"].code, by=None, path="/x/")
