"""The three trees the figures hang on, seen from the rollups: node chains for fanning a change out
to every ancestor, and in-memory indexes of a tree for rebuilds and drill-downs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from core.models import Area, Department, PartyOrg
from dashboards.models import Tree

TREE_MODELS: dict[str, type[models.Model]] = {Tree.PARTY: PartyOrg, Tree.AREA: Area, Tree.DEPARTMENT: Department}


def prefixes(path: str) -> list[str]:
    """'/a/b/c/' → ['/a/', '/a/b/', '/a/b/c/']"""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def chains(tree: str, node_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(node id, parent node id or 0) for the nodes and every ancestor of them, each once."""
    ids = {int(n) for n in node_ids if n}
    if not ids:
        return []
    if tree == Tree.DEPARTMENT:
        return [(n, 0) for n in sorted(ids)]
    model = TREE_MODELS[tree]
    wanted: set[str] = set()
    for path in model.objects.filter(pk__in=ids).values_list("path", flat=True):
        wanted.update(prefixes(path))
    return [(pk, parent or 0) for pk, parent in model.objects.filter(path__in=wanted).values_list("pk", "parent_id")]


@dataclass
class TreeIndex:
    """Every node of a tree in memory: parents, names, paths. Built once per rebuild or request."""

    tree: str
    parent: dict[int, int]
    name: dict[int, str]
    path: dict[int, str]

    @classmethod
    def load(cls, tree: str) -> TreeIndex:
        if tree == Tree.DEPARTMENT:
            rows = Department.objects.values_list("pk", "name")
            return cls(tree, {pk: 0 for pk, _n in rows}, dict(rows), {pk: f"/{pk}/" for pk, _n in rows})
        model = TREE_MODELS[tree]
        parent, name, path = {}, {}, {}
        for pk, parent_id, node_name, node_path in model.objects.values_list("pk", "parent_id", "name", "path"):
            parent[pk] = parent_id or 0
            name[pk] = node_name
            path[pk] = node_path
        return cls(tree, parent, name, path)

    def ancestors(self, node_id: int) -> list[int]:
        """The node and its ancestors, nearest first."""
        out = []
        seen = set()
        while node_id and node_id in self.parent and node_id not in seen:
            out.append(node_id)
            seen.add(node_id)
            node_id = self.parent[node_id]
        return out

    def child_towards(self, node_id: int, leaf_id: int) -> int | None:
        """The child of `node_id` on the way down to `leaf_id` (None for the node itself or outside it)."""
        previous = None
        for ancestor in self.ancestors(leaf_id):
            if ancestor == node_id:
                return previous
            previous = ancestor
        return None
