"""Reports follow their grids when an area moves in the tree (core.services.trees).

A report keeps its grid's path (`area_path`) so that area staff's lists are one indexed prefix
match, and the review rollups sum each assignment into every area above its grid: both are
rewritten in the move's transaction, so that the town a community joined sees its reports and the
town it left no longer does from the same commit on.
"""

from __future__ import annotations

from core.services.trees import path_prefix_rewrite
from core.signals import SubtreeMove
from governance.reports.models import Report
from governance.reports.services.rollups import rollups_follow_move


def reports_follow_area_move(*, move: SubtreeMove) -> None:
    Report.objects.filter(area_path__startswith=move.old_path).update(
        area_path=path_prefix_rewrite("area_path", old=move.old_path, new=move.new_path)
    )
    rollups_follow_move(move=move)
