"""The rollups follow the owning apps' after-commit announcements (connected in apps.ready).

Each receiver calls one service; a failure is logged by on_commit(robust=True) at the sender and
the periodic reconcile repairs the figures from the records.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from core.models import Area
from core.signals import subtree_moved
from dashboards.models import Tree
from dashboards.services.rollups import rollup_increment, rollup_source_refresh
from dashboards.services.screen import screen_announce, screen_refresh
from dashboards.sources import grids as grids_source
from dashboards.sources import learning as learning_source
from dashboards.sources import live as live_source
from dashboards.sources import party as party_source
from dashboards.sources import reports as reports_source
from dashboards.sources import villages as villages_source
from dashboards.sources.common import member_org_id
from dashboards.tasks import tree_rollups_rebuild_task
from dashboards.trees import TREE_MODELS
from governance.reports.signals import report_changed
from governance.signals import grids_changed, visit_recorded
from learning.models import CoursePage
from learning.signals import learning_credited, lesson_completed
from party.signals import life_changed, member_changed
from streaming.signals import participation_changed
from villages.signals import year_changed


def _topic(course_id: int) -> str:
    return CoursePage.objects.filter(pk=course_id).values_list("topic", flat=True).first() or ""


@receiver(learning_credited, dispatch_uid="dashboards.learning_credited")
def on_learning_credited(sender, *, user_id: int, course_id: int, day, seconds: float, **kwargs) -> None:
    org = member_org_id(user_id)
    if org is None:
        return
    rollup_increment(
        metric=learning_source.SECONDS, tree=Tree.PARTY, nodes=[org], day=day, delta=seconds, key=_topic(course_id)
    )


@receiver(lesson_completed, dispatch_uid="dashboards.lesson_completed")
def on_lesson_completed(sender, *, user_id: int, course_id: int, completed_at, **kwargs) -> None:
    org = member_org_id(user_id)
    if org is None:
        return
    rollup_increment(
        metric=learning_source.COMPLETIONS,
        tree=Tree.PARTY,
        nodes=[org],
        day=timezone.localdate(completed_at),
        delta=1,
        key=_topic(course_id),
    )


@receiver(participation_changed, dispatch_uid="dashboards.participation_changed")
def on_participation_changed(sender, *, event_id: int, what: str, **kwargs) -> None:
    rollup_source_refresh(dashboard=live_source.DASHBOARD, record_id=event_id)
    screen_announce(kind=f"live.{what}", record_id=event_id)


@receiver(year_changed, dispatch_uid="dashboards.village_year_changed")
def on_village_year_changed(sender, *, village_year_id: int, **kwargs) -> None:
    rollup_source_refresh(dashboard=villages_source.DASHBOARD, record_id=village_year_id)


@receiver(member_changed, dispatch_uid="dashboards.party_member_changed")
def on_party_member_changed(sender, *, member_id: int, **kwargs) -> None:
    rollup_source_refresh(dashboard=party_source.DASHBOARD, record_id=member_id, prefix=party_source.MEMBER_PREFIX)


@receiver(life_changed, dispatch_uid="dashboards.party_life_changed")
def on_party_life_changed(sender, *, org_ids: list[int], **kwargs) -> None:
    for org_id in org_ids:
        rollup_source_refresh(dashboard=party_source.DASHBOARD, record_id=org_id, prefix=party_source.LIFE_PREFIX)


@receiver(report_changed, dispatch_uid="dashboards.report_changed")
def on_report_changed(sender, *, report_id: int, status: str, action: str, **kwargs) -> None:
    rollup_source_refresh(dashboard=reports_source.DASHBOARD, record_id=report_id, prefix=reports_source.PREFIX)
    rollup_source_refresh(
        dashboard=reports_source.DEPARTMENT_DASHBOARD, record_id=report_id, prefix=reports_source.DEPT_PREFIX
    )
    if action == "submit":
        screen_announce(kind="report.filed", record_id=report_id)
    else:  # a report moving (dispatched, resolved …) changes the figures, not the feed
        screen_refresh(paths=_report_paths(report_id))


def _report_paths(report_id: int) -> list[str]:
    from governance.reports.models import Report

    path = Report.objects.filter(pk=report_id).values_list("area_path", flat=True).first()
    return [path] if path else []


@receiver(visit_recorded, dispatch_uid="dashboards.visit_recorded")
def on_visit_recorded(sender, *, grid_id: int, visited_on, outcome: str, **kwargs) -> None:
    rollup_increment(
        metric=grids_source.VISITS_DONE, tree=Tree.AREA, nodes=[grid_id], day=visited_on, delta=1, key=outcome
    )
    # The visit moved the resident's next visit date.
    on_grids_changed(sender, grid_ids=[grid_id])
    # Fresh figures (visits today, overdue) to the command screens; a visit is not an item of its feed.
    screen_refresh(paths=Area.objects.filter(pk=grid_id).values_list("path", flat=True))


@receiver(grids_changed, dispatch_uid="dashboards.grids_changed")
def on_grids_changed(sender, *, grid_ids: list[int], **kwargs) -> None:
    for grid_id in grid_ids:
        rollup_source_refresh(dashboard=reports_source.DASHBOARD, record_id=grid_id, prefix=grids_source.PREFIX)


@receiver(subtree_moved, dispatch_uid="dashboards.subtree_moved")
def on_subtree_moved(sender, **kwargs) -> None:
    # Sent inside the move's transaction; the rebuild reads the moved tree, so it waits for the commit.
    tree = next((key for key, model in TREE_MODELS.items() if model is sender), None)
    if tree is not None:
        transaction.on_commit(lambda: tree_rollups_rebuild_task.enqueue(tree), robust=True)
