"""What the reports app announces to the rest of the platform, always after the commit.

- `report_changed(report_id, status, action)`: a report was filed or moved (dispatched, signed,
  resolved, rated, returned, merged, dismissed …); `action` is the ReportEvent action.

Receivers must be quick and must not fail the request: they run after the commit with errors
logged (the dashboards keep their rollups with them and reconcile from the records).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

report_changed = Signal()


def announce_report_changed(report_id: int, status: str, action: str) -> None:
    transaction.on_commit(
        lambda: report_changed.send(sender=None, report_id=report_id, status=status, action=action), robust=True
    )
