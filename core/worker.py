"""The task worker's recovery: work abandoned by a worker that died is ended, not left "running".

A worker killed mid-task (SIGKILL, an OOM kill, a reboot) never writes how its task ended: the job
row stays "running" and the person waiting on it waits for ever. Each app registers a reaper from
its AppConfig.ready(); `manage.py db_worker` (core/management/commands/db_worker.py) runs them all
when it starts and then every so often, so any surviving or restarted worker cleans up after a dead
one. A reaper ends the jobs whose heartbeat is older than `stalled_after` (None: the app's own
default) and returns how many it ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

logger = logging.getLogger(__name__)

Reaper = Callable[..., int]
_reapers: dict[str, Reaper] = {}


def register_reaper(key: str, reaper: Reaper) -> None:
    """Called from an AppConfig.ready(): `reaper(*, stalled_after: timedelta | None) -> int`."""
    _reapers[key] = reaper


def reap_abandoned_work(*, stalled_after: timedelta | None = None) -> dict[str, int]:
    """Run every reaper; one failing must not stop the others (nor the worker)."""
    ended = {}
    for key, reaper in _reapers.items():
        try:
            ended[key] = reaper(stalled_after=stalled_after)
        except Exception:
            logger.exception("reaping abandoned %s failed", key)
            continue
        if ended[key]:
            logger.warning("ended %d %s abandoned by a worker that stopped", ended[key], key)
    return ended
