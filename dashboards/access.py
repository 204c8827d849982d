"""Who sees which figures: each person their own place in the trees, the centre everything.

A dashboard hangs on one tree. A person's roots in it are the highest nodes core.access lets them
see: the operations centre the tree's top; a town its town (areas) and the party organisations in
it; a branch's members and venue operators their own organisation; those who keep party records
(party.PartyRole: the organisation department everything, a secretary or organiser their
organisation and everything under it) what they keep; a department its own department. Every node
id from a request goes through core.access or party.access (404 for missing or not yours).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from core.access import (
    access_area_by_id,
    access_department_by_id,
    access_party_org_by_id,
    areas_visible_to,
    departments_visible_to,
    is_city_wide,
    memberships_of,
    party_orgs_visible_to,
)
from core.models import Area, Department, PartyOrg, Role, User
from dashboards import registry
from dashboards.models import Tree
from dashboards.registry import Dashboard
from party.access import access_org_by_id, orgs_kept_by, party_scope


def dashboard_roots(user: User, tree: str) -> list:
    if not user.is_authenticated or not user.is_active:
        return []
    if tree == Tree.DEPARTMENT:
        return list(departments_visible_to(user).order_by("code"))
    model = PartyOrg if tree == Tree.PARTY else Area
    if is_city_wide(user) or (tree == Tree.PARTY and party_scope(user).all):
        return list(model.objects.filter(parent__isnull=True).order_by("path"))
    if tree == Tree.PARTY:
        # Those who keep party records (the organisation department, secretaries and organisers:
        # party.PartyRole) see the figures of what they keep, besides what core's roles show them.
        visible = PartyOrg.objects.filter(
            Q(pk__in=party_orgs_visible_to(user).values("pk")) | Q(pk__in=orgs_kept_by(user).values("pk"))
        )
    else:
        visible = areas_visible_to(user)
    nodes = list(visible.order_by("path"))
    roots: list = []
    for node in nodes:  # in path order, an ancestor comes before its descendants
        if not any(node.path.startswith(r.path) for r in roots):
            roots.append(node)
    return roots


def roots_for(user: User, dashboard: Dashboard) -> list:
    roots = dashboard_roots(user, dashboard.tree)
    if dashboard.deepest_level is not None:
        roots = [r for r in roots if r.level <= dashboard.deepest_level]
    return roots


def dashboards_for(user: User) -> list[Dashboard]:
    return [d for d in registry.all_dashboards() if roots_for(user, d)]


def access_dashboard_by_key(user: User, key: str) -> tuple[Dashboard, list]:
    """The dashboard and the person's roots in its tree; 404 when unknown or nothing is theirs."""
    dashboard = registry.get(key)
    if dashboard is None:
        raise Http404
    roots = roots_for(user, dashboard)
    if not roots:
        raise Http404
    return dashboard, roots


def access_dashboard_node(user: User, dashboard: Dashboard, roots: list, node_id) -> Area | PartyOrg | Department:
    """The node a page shows: the requested one if the person may see it, else 404; their first
    root when none is asked for."""
    if node_id in (None, ""):
        return roots[0]
    if dashboard.tree == Tree.PARTY:
        try:
            return access_party_org_by_id(user, node_id)
        except Http404:
            return access_org_by_id(user, node_id)  # kept through a party-work role, else 404 too
    if dashboard.tree == Tree.AREA:
        return access_area_by_id(user, node_id)
    return access_department_by_id(user, node_id)


def can_view_screen(user: User) -> bool:
    """The city's command screen is the operations centre's wall: the whole city."""
    return is_city_wide(user)


# Those whose place has a service centre with a screen of its own: a town and a community. A grid
# worker's grid is not a centre, and party members or departments keep no area.
SCREEN_ROLES = (Role.TOWN_STAFF, Role.COMMUNITY_STAFF)


def screen_areas_of(user: User) -> list[Area]:
    """The towns and communities whose screens the person may open from their own roles (the
    centre opens any: see access_screen_area), highest first."""
    if not user.is_authenticated or not user.is_active:
        return []
    areas = sorted(
        (m.area for m in memberships_of(user) if m.role in SCREEN_ROLES and m.area is not None),
        key=lambda a: a.path,
    )
    roots: list[Area] = []
    for area in areas:
        if not any(area.path.startswith(r.path) for r in roots):
            roots.append(area)
    return roots


def access_screen_area(user: User, area_id) -> Area | None:
    """The scope of the command screen a person asks for: None for the city's (the centre's own),
    else a town or community they look after (the centre: any). No id: the person's own — the city
    for the centre, their first town or community for its staff. 404 for anything else."""
    if is_city_wide(user):
        if area_id in (None, ""):
            return None
        area = access_area_by_id(user, area_id)
        if area.parent_id is None:
            return None
        if area.level not in (Area.Level.TOWN, Area.Level.VILLAGE):
            raise Http404
        return area
    own = screen_areas_of(user)
    if not own:
        raise Http404
    if area_id in (None, ""):
        return own[0]
    area = access_area_by_id(user, area_id)
    if area.level not in (Area.Level.TOWN, Area.Level.VILLAGE) or not any(area.path.startswith(r.path) for r in own):
        raise Http404
    return area
