"""The reports app follows core's tree moves (connected in apps.ready).

In the move's transaction (see core.signals): a failure here rolls the move back.
"""

from __future__ import annotations

from core.signals import SubtreeMove
from governance.reports.services.moves import reports_follow_area_move


def on_area_moved(sender, *, move: SubtreeMove, **kwargs) -> None:
    reports_follow_area_move(move=move)
