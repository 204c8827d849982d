"""Factories for reports: categories, rules, a located grid and reports submitted through the service."""

from __future__ import annotations

import io
from decimal import Decimal

from PIL import Image

from core.models import Area, Department, Role
from core.tests.factories import UserFactory, make_department, make_tree, make_user_with_role
from governance.reports.models import Category, DispatchRule
from governance.reports.services.photos import photo_process
from governance.reports.services.submit import report_submit
from governance.tests.geo_factories import give_tree_boundaries

_n = iter(range(1, 10**9))

# Points inside the test grids' boundaries (governance.tests.geo_factories.TREE_BOXES).
GRID_CENTRES = {"grid_a": (39.85, 124.025), "grid_a2": (39.85, 124.075), "grid_b": (39.825, 124.125)}


def make_category(name: str | None = None, parent: Category | None = None, **kwargs) -> Category:
    n = next(_n)
    if parent is None:
        parent = Category.objects.create(name=f"大类{n}", code=f"group-{n}")
    return Category.objects.create(name=name or f"问题{n}", code=f"cat-{n}", parent=parent, **kwargs)


def make_rule(category: Category, department: Department, area: Area | None = None, **kwargs) -> DispatchRule:
    return DispatchRule.objects.create(category=category, department=department, area=area, **kwargs)


class World:
    """A small city: two towns' grids, two departments with staff, a category dispatched by rule."""

    def __init__(self) -> None:
        self.tree = make_tree()
        give_tree_boundaries(self.tree)
        self.department = make_department(self.tree["city"], "城管局")
        self.other_department = make_department(self.tree["city"], "住建局")
        self.category = make_category("占道经营")
        self.unruled = make_category("其他问题")
        self.rule = make_rule(self.category, self.department, deadline_hours=48, sign_hours=2)
        # Anyone signed in may report (residents, riders): no role needed.
        self.reporter = UserFactory()
        self.rider = UserFactory()
        self.staff = make_user_with_role(Role.DEPARTMENT_STAFF, department=self.department)
        self.other_staff = make_user_with_role(Role.DEPARTMENT_STAFF, department=self.other_department)
        self.ops = make_user_with_role(Role.OPS_ADMIN)
        self.grid_worker = make_user_with_role(Role.GRID_WORKER, area=self.tree["grid_a"])
        self.grid_worker_b = make_user_with_role(Role.GRID_WORKER, area=self.tree["grid_b"])
        self.community = make_user_with_role(Role.COMMUNITY_STAFF, area=self.tree["village_a"])
        self.town_b = make_user_with_role(Role.TOWN_STAFF, area=self.tree["town_b"])

    def submit(self, *, reporter=None, category=None, where: str = "grid_a", key: str = "", **kwargs):
        lat, lng = GRID_CENTRES[where]
        kwargs.setdefault("latitude", Decimal(str(lat)))
        kwargs.setdefault("longitude", Decimal(str(lng)))
        return report_submit(
            reporter=reporter or self.reporter,
            category=category or self.category,
            description=kwargs.pop("description", "人行道上有摊贩占道经营，行人只能走机动车道。"),
            idempotency_key=key,
            **kwargs,
        ).report


def jpeg_bytes(*, size=(800, 600), color=(200, 40, 40), gps: bool = False) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if gps:
        exif[0x8825] = {1: "N", 2: (40.0, 6.0, 0.0), 3: "E", 4: (124.0, 21.0, 0.0)}
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def processed_photo():
    return photo_process(jpeg_bytes())
