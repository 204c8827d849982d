"""Writes to the organisation trees (areas, party organisations): creating, editing and moving nodes.

Every node stores its materialised path ('/<city>/<town>/…/<code>/') and depth, and every access
check reads the path (a town's staff see what lies under the town's path). So the path is written
here only: a node takes a new parent or code through `area_update`/`party_org_update`, which
rewrite the whole subtree's paths and depths in one transaction, refuse a move under the node's
own subtree and a code already in use, tell the apps that keep copies of the paths
(`core.signals.subtree_moved`) in the same transaction, and bump the tree's change counter so that
what other processes keep in memory about the tree is rebuilt.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.generation import generation_bump
from core.models import Area, PartyOrg, TreeNode, User
from core.services.audit import audit_record
from core.signals import SubtreeMove, subtree_moved

# The change counters (core.Generation) of the two trees, bumped by every move.
AREA_TREE_GENERATION = "core.areas"
PARTY_ORG_TREE_GENERATION = "core.party_orgs"
# The point → grid index orders grids by path; a move changes that order (governance.geo.index).
_GEO_GENERATION = "geo.boundaries"

LEVEL_PARENT: dict[int, int | None] = {
    Area.Level.CITY: None,
    Area.Level.TOWN: Area.Level.CITY,
    Area.Level.VILLAGE: Area.Level.TOWN,
    Area.Level.GRID: Area.Level.VILLAGE,
}

# Fields only this module writes: the rest of a node is plain data.
_TREE_FIELDS = {"id", "pk", "path", "depth", "parent", "parent_id", "code", "level"}

Node = TypeVar("Node", bound=TreeNode)


def child_path(parent_path: str | None, code: str) -> str:
    if "/" in code or not code:
        raise ValidationError({"code": _("The code must not be empty or contain “/”.")})
    return f"{parent_path or '/'}{code}/"


def path_prefix_rewrite(field: str, *, old: str, new: str) -> Concat:
    """An expression for `field` with its leading `old` replaced by `new` (rows filtered on the prefix)."""
    return Concat(Value(new), Substr(field, len(old) + 1), output_field=models.CharField())


def _depth(path: str) -> int:
    return path.count("/") - 1


def _prefixes(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _ancestor_ids(model: type[TreeNode], path: str) -> tuple[int, ...]:
    above = _prefixes(path)[:-1]
    if not above:
        return ()
    return tuple(model.objects.filter(path__in=above).order_by("depth").values_list("pk", flat=True))


def _code_taken(model: type[TreeNode], code: str, *, exclude_pk: int | None) -> None:
    other = model.objects.filter(code=code).exclude(pk=exclude_pk).only("name").first()
    if other is not None:
        message = _("The code %(code)s is already used by “%(name)s”; choose another.")
        raise ValidationError({"code": message % {"code": code, "name": other.name}})


def _check_level(*, level: int, parent: Area | None) -> None:
    expected = LEVEL_PARENT[Area.Level(level)]
    if (parent is None) != (expected is None) or (parent is not None and parent.level != expected):
        raise ValidationError({"parent": _("The area's level does not match its parent's.")})


def _check_placement(
    model: type[TreeNode],
    *,
    node_pk: int | None,
    node_path: str | None,
    parent: TreeNode | None,
    code: str,
    level: int | None = None,
) -> str:
    """Everything a place must satisfy; returns the new path. `parent` as stored now, `level` for areas."""
    new_path = child_path(parent.path if parent is not None else None, code)
    if parent is not None and node_path is not None and parent.path.startswith(node_path):
        message = (
            _("An area cannot be moved under itself or an area under it.")
            if model is Area
            else _("An organisation cannot be moved under itself or an organisation under it.")
        )
        raise ValidationError({"parent": message})
    if level is not None:
        _check_level(level=level, parent=parent)
    _code_taken(model, code, exclude_pk=node_pk)
    longest = len(new_path)
    if node_path is not None:
        deepest = model.objects.filter(path__startswith=node_path).aggregate(m=models.Max(Length("path")))
        longest = (deepest["m"] or len(node_path)) - len(node_path) + len(new_path)
    limit = model._meta.get_field("path").max_length
    if longest > limit:
        message = _("The tree would be too deep: a path would exceed %(max)d characters.")
        raise ValidationError({"parent": message % {"max": limit}})
    return new_path


def _fresh(model: type[Node], node: Node | None) -> Node | None:
    return None if node is None else model.objects.get(pk=node.pk)


# --- checks for forms (no writes; the services check again under the lock) ---------------------


def area_placement_check(*, area: Area | None, level: int, parent: Area | None, code: str) -> None:
    """Raise ValidationError (keyed by field) if `area` (None: a new one) cannot sit there."""
    parent = _fresh(Area, parent)
    current = _fresh(Area, area) if area is not None and area.pk else None
    _check_placement(
        Area,
        node_pk=current.pk if current else None,
        node_path=current.path if current else None,
        parent=parent,
        code=code,
        level=level,
    )


def party_org_placement_check(*, org: PartyOrg | None, parent: PartyOrg | None, code: str) -> None:
    parent = _fresh(PartyOrg, parent)
    current = _fresh(PartyOrg, org) if org is not None and org.pk else None
    _check_placement(
        PartyOrg,
        node_pk=current.pk if current else None,
        node_path=current.path if current else None,
        parent=parent,
        code=code,
    )


# --- creating ------------------------------------------------------------------------------------


def _create(model: type[Node], *, parent: Node | None, code: str, check=None, **fields: Any) -> Node:
    try:
        with transaction.atomic():
            # The parent's row lock: a move of the parent's subtree waits for this node to be
            # in it (and rewrites it too), or this waits for the move and reads the new path.
            parent = model.objects.select_for_update().get(pk=parent.pk) if parent is not None else None
            if check is not None:
                check(parent)
            path = child_path(parent.path if parent else None, code)
            return model.objects.create(code=code, parent=parent, path=path, depth=_depth(path), **fields)
    except IntegrityError:
        # Codes are unique and a path ends in its node's code: a clash is a code already in use.
        _code_taken(model, code, exclude_pk=None)
        raise


def area_create(*, name: str, code: str, level: int, parent: Area | None = None, **fields: Any) -> Area:
    return _create(
        Area,
        parent=parent,
        code=code,
        check=lambda p: _check_level(level=level, parent=p),
        name=name,
        level=level,
        **fields,
    )


def party_org_create(
    *, name: str, code: str, kind: str, parent: PartyOrg | None = None, area: Area | None = None
) -> PartyOrg:
    return _create(PartyOrg, parent=parent, code=code, name=name, kind=kind, area=area)


# --- editing and moving --------------------------------------------------------------------------


def _update(
    model: type[Node],
    *,
    node: Node,
    parent: Node | None,
    code: str,
    by: User | None,
    request: HttpRequest | None,
    generation: str,
    fields: dict[str, Any],
) -> Node:
    wrong = _TREE_FIELDS & set(fields)
    if wrong:
        raise TypeError(f"tree fields are written by the move itself, not as plain fields: {sorted(wrong)}")
    kind = model._meta.model_name
    with transaction.atomic():
        stored = model.objects.values("parent_id", "code").get(pk=node.pk)
        parent_id = parent.pk if parent is not None else None
        move = None
        if stored["parent_id"] != parent_id or stored["code"] != code:
            # First write of the transaction: the counter's row lock serialises the moves of one
            # tree, so a move never reads a parent path that another move is rewriting.
            generation_bump(generation)
            if model is Area:
                generation_bump(_GEO_GENERATION)
            current = model.objects.select_for_update().get(pk=node.pk)
            parent = _fresh(model, parent)
            old_path = current.path
            new_path = _check_placement(
                model,
                node_pk=current.pk,
                node_path=old_path,
                parent=parent,
                code=code,
                level=current.level if model is Area else None,
            )
            # Lock the subtree before rewriting it: on PostgreSQL a node created under it meanwhile
            # either committed before this statement (and is rewritten below) or waits for us.
            list(model.objects.select_for_update().filter(path__startswith=old_path).values_list("pk", flat=True))
            old_ancestors = _ancestor_ids(model, old_path)
            model.objects.filter(path__startswith=old_path).update(
                path=path_prefix_rewrite("path", old=old_path, new=new_path),
                depth=F("depth") + (_depth(new_path) - _depth(old_path)),
            )
            model.objects.filter(pk=current.pk).update(parent=parent, code=code)
            move = SubtreeMove(
                node_id=current.pk,
                old_path=old_path,
                new_path=new_path,
                old_ancestor_ids=old_ancestors,
                new_ancestor_ids=_ancestor_ids(model, new_path),
            )
            subtree_moved.send(sender=model, move=move)
        current = model.objects.select_for_update().get(pk=node.pk)
        if fields:
            for name, value in fields.items():
                setattr(current, name, value)
            current.save(update_fields=list(fields))
        if move is not None:
            audit_record(
                actor=by,
                action=f"core.{kind}.move",
                obj=current,
                request=request,
                detail={"from": move.old_path, "to": move.new_path},
            )
    # The caller's instance follows, as after a save.
    for name in ("parent_id", "code", "path", "depth", *fields):
        setattr(node, name, getattr(current, name))
    if move is not None:
        node._state.fields_cache.pop("parent", None)
    return node


def area_update(
    *,
    area: Area,
    parent: Area | None,
    code: str,
    by: User | None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Area:
    """Save an area's plain fields and, when its parent or code changed, move it with everything under it."""
    return _update(
        Area,
        node=area,
        parent=parent,
        code=code,
        by=by,
        request=request,
        generation=AREA_TREE_GENERATION,
        fields=fields,
    )


def party_org_update(
    *,
    org: PartyOrg,
    parent: PartyOrg | None,
    code: str,
    by: User | None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> PartyOrg:
    """Save an organisation's plain fields and, when its parent or code changed, move its subtree."""
    return _update(
        PartyOrg,
        node=org,
        parent=parent,
        code=code,
        by=by,
        request=request,
        generation=PARTY_ORG_TREE_GENERATION,
        fields=fields,
    )
