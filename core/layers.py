"""The channel layer from code that keeps a subscription of its own or pushes best effort.

Reading: a process keeps one channel per purpose (a live event's hub, the sign-out registry) and
adds it to groups. With channels-redis a group's membership exists only in Redis: a Redis that
restarts empty, or a membership older than the layer's `group_expiry` (a day by default), ends it
without any error, and pushes to the group silently stop arriving here. `LayerSubscription`
therefore adds its channel to every group again after any layer error (backing off while the
layer is down), renews the membership well before it expires, and says whether it holds, for
/healthz (`subscriptions_report`).

Pushing: `layer_push` sends to a group after a commit, best effort (the database is the source of
truth and clients catch up from it). During an outage every push fails; it logs the outage once
with its cause and its end once with a count, not a traceback per message.

Both log an outage once per process, not once per subscription or per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# Renew group membership at least this often, even with a long group_expiry: a Redis flushed by
# hand or evicting keys under memory pressure also ends memberships without any error.
RENEW_AT_MOST_EVERY = 60.0
RETRY_FIRST = 0.1  # seconds before the first retry after a layer error; doubles up to RETRY_MOST
RETRY_MOST = 2.0


def cancel_requested() -> bool:
    """Whether someone asked the running task to stop, even if the stop arrived as another error.

    channels-redis shares connections between the receivers of a process: when one receiver is
    cancelled its connection closes under the others, which then see a ConnectionError instead of
    their own CancelledError. A loop that retries on errors must ask this before retrying, or it
    never ends (event-loop shutdown waits on it for ever).
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


class Outage:
    """One line when something starts failing and one when it works again, whatever happens between.

    Thread-safe: pushes run in whichever thread commits.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: float | None = None  # time.monotonic() of the first failure, None while fine
        self.failures = 0
        self._lock = threading.Lock()

    def failed(self, exc: BaseException, detail: str) -> None:
        with self._lock:
            self.failures += 1
            first = self.since is None
            if first:
                self.since = time.monotonic()
        if first:
            logger.warning(
                "%s: the channel layer is unreachable (%s, %s); further failures are not logged until it answers",
                self.what,
                _describe(exc),
                detail,
            )
        else:
            logger.debug("%s: still failing (%s, %s)", self.what, _describe(exc), detail)

    def ended(self) -> None:
        if self.since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self.since is None:
                return
            seconds, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures = None, 0
        logger.warning("%s: the channel layer answers again after %.1f s (%d failures)", self.what, seconds, failures)


# --- pushing --------------------------------------------------------------------------------------

push_outage = Outage("channel-layer pushes")


def layer_push(group: str, message: dict, *, what: str) -> bool:
    """Send `message` to `group` now (synchronous code, e.g. after a commit); False if it could not.

    Best effort: callers push what the database already holds, and clients catch up from it. `what`
    names the push in the one log line of an outage ("live push of event 7").
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as exc:  # the layer is a signal; Redis being down must not break the request
        push_outage.failed(exc, what)
        return False
    push_outage.ended()
    return True


# --- reading --------------------------------------------------------------------------------------

read_outage = Outage("channel-layer subscriptions")
# Every running subscription of this process, whatever its event loop: /healthz reads it from a thread.
_running: set[LayerSubscription] = set()
_running_lock = threading.Lock()


def _live_subscriptions() -> list[LayerSubscription]:
    with _running_lock:
        # A loop that ended without stopping its subscriptions (a test's) leaves nothing to report.
        for sub in [sub for sub in _running if sub.loop is None or sub.loop.is_closed()]:
            _running.discard(sub)
        return list(_running)


class LayerSubscription:
    """One channel of this process on the layer, the groups it belongs to, and the tasks that keep it.

    `handle` is awaited with each message, one at a time. `on_subscribed` is called whenever the
    groups were added again after a failure: what was pushed meanwhile was lost, so the owner reads
    the database now rather than at its next poll.
    """

    def __init__(
        self,
        name: str,
        handle: Callable[[dict], Awaitable[None]],
        *,
        on_subscribed: Callable[[], None] | None = None,
        layer=None,
    ) -> None:
        self.name = name
        self.handle = handle
        self.on_subscribed = on_subscribed
        self.layer = layer if layer is not None else get_channel_layer()
        self.channel: str | None = None
        self.groups: set[str] = set()
        self.subscribed = False
        self.changed_at = time.monotonic()  # when `subscribed` last changed
        self.last_error = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._epoch = 0  # bumped by every failure, so a pass that overlapped one is not taken as success
        self._wake = asyncio.Event()  # the keeper: add the groups again now
        self._resumed = asyncio.Event()  # the reader: the groups are back, stop backing off
        self._tasks: list[asyncio.Task] = []
        expiry = float(getattr(self.layer, "group_expiry", 86400) or 86400)
        # A third of the expiry: two renewals may fail (a short outage) before a membership lapses.
        self.renew_seconds = min(expiry / 3, RENEW_AT_MOST_EVERY)

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self, groups: Iterable[str] = ()) -> None:
        """Subscribe once now (so the caller may read the database after it), then keep it so."""
        self.loop = asyncio.get_running_loop()
        self.groups.update(groups)
        self.channel = await self.layer.new_channel()
        with _running_lock:
            _running.add(self)
        epoch = self._epoch
        try:
            await self._add_all()
        except Exception as exc:  # the keeper retries; the owner's database poll covers meanwhile
            self._failed(exc, "subscribing")
        else:
            self._succeeded(epoch, initial=True)
        self._tasks = [asyncio.create_task(self._read_loop()), asyncio.create_task(self._keep_loop())]

    async def stop(self) -> None:
        with _running_lock:
            _running.discard(self)
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.subscribed and self.channel is not None:
            for group in list(self.groups):
                with contextlib.suppress(Exception):
                    await self.layer.group_discard(group, self.channel)
        self._set_subscribed(False)

    async def add(self, group: str) -> None:
        self.groups.add(group)
        if self.subscribed and self.channel is not None:
            try:
                await self.layer.group_add(group, self.channel)
            except Exception as exc:
                self._failed(exc, f"adding {group}")

    async def discard(self, group: str) -> None:
        self.groups.discard(group)
        if self.subscribed and self.channel is not None:
            with contextlib.suppress(Exception):  # it expires from the group by itself
                await self.layer.group_discard(group, self.channel)

    # --- state --------------------------------------------------------------------------------

    def _set_subscribed(self, value: bool) -> None:
        if value != self.subscribed:
            self.subscribed = value
            self.changed_at = time.monotonic()

    def _failed(self, exc: BaseException, doing: str) -> None:
        self._epoch += 1
        self.last_error = _describe(exc)
        self._set_subscribed(False)
        self._wake.set()
        read_outage.failed(exc, f"{self.name}, {doing}")

    def _succeeded(self, epoch: int, *, initial: bool = False) -> bool:
        if epoch != self._epoch:  # a failure happened while we were adding: add again
            return False
        was_down = not self.subscribed
        self._set_subscribed(True)
        if all(sub.subscribed for sub in _live_subscriptions()):
            read_outage.ended()
        if was_down and not initial:
            self._resumed.set()
            if self.on_subscribed is not None:
                self.on_subscribed()
        return True

    async def _add_all(self) -> None:
        for group in list(self.groups):
            await self.layer.group_add(group, self.channel)

    # --- the two tasks ------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if cancel_requested():
                    raise asyncio.CancelledError from None
                # Whatever broke, the memberships may be gone with it (a Redis restarted empty).
                self._failed(exc, "receiving")
                self._resumed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._resumed.wait()
                delay = min(delay * 2, RETRY_MOST)
                continue
            delay = RETRY_FIRST
            try:
                await self.handle(message)
            except Exception:  # one bad message must not end the reading
                logger.exception("%s: handling a layer message failed", self.name)

    async def _keep_loop(self) -> None:
        """Add every group again after a failure (until it works) and renew them before they expire."""
        delay = RETRY_FIRST
        while True:
            if self.subscribed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.renew_seconds):
                        await self._wake.wait()
            self._wake.clear()
            epoch = self._epoch
            try:
                await self._add_all()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if cancel_requested():
                    raise asyncio.CancelledError from None
                self._failed(exc, "subscribing again")
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MOST)
                continue
            if self._succeeded(epoch):
                delay = RETRY_FIRST


def subscriptions_report() -> dict:
    """This process's subscriptions: ok when every one holds. Safe to call from any thread."""
    now = time.monotonic()
    running = _live_subscriptions()
    down = [sub for sub in running if not sub.subscribed]
    report: dict = {"ok": not down, "subscriptions": len(running), "unsubscribed": len(down)}
    if down:
        report["down"] = [
            {"name": sub.name, "seconds": round(now - sub.changed_at, 1), "error": sub.last_error}
            for sub in sorted(down, key=lambda sub: sub.changed_at)[:10]
        ]
    return report


# --- a socket's own channel -----------------------------------------------------------------------


class RenewedGroupsMixin:
    """For a Channels consumer whose own channel is in groups: membership renewed before it expires.

    Channels adds a consumer's channel to a group once, at connect. A socket open longer than the
    layer's `group_expiry` (a day by default: the command screen on the wall, a page left open
    overnight) would silently stop getting pushes. `groups_join` at connect and `groups_leave` at
    disconnect; in between a timer (not a task: a few hundred bytes per socket) adds the channel again
    at a third of the expiry. After a layer error the consumer's own receive fails, Daphne closes the
    socket and the page reconnects, so renewal is all a socket needs.
    """

    joined_groups: tuple[str, ...] = ()
    _renewal: asyncio.TimerHandle | None = None

    async def groups_join(self, *groups: str) -> None:
        self.joined_groups = (*self.joined_groups, *groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        if self._renewal is None:
            self._schedule_renewal()

    async def groups_leave(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
            self._renewal = None
        groups, self.joined_groups = self.joined_groups, ()
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    def _schedule_renewal(self) -> None:
        expiry = float(getattr(self.channel_layer, "group_expiry", 86400) or 86400)
        # A weak reference: a consumer that ended without disconnecting (it raised) is not kept alive.
        self._renewal = asyncio.get_running_loop().call_later(expiry / 3, _renew_later, weakref.ref(self))

    async def _renew_groups(self) -> None:
        try:
            for group in self.joined_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception as exc:  # the socket's own receive fails as well, and the page reconnects
            logger.debug("renewing %s failed: %s", self.joined_groups, _describe(exc))
        if self.joined_groups:
            self._schedule_renewal()


_renewals: set[asyncio.Task] = set()  # strong references to running renewals (asyncio keeps weak ones)


def _renew_later(ref: weakref.ref) -> None:
    consumer = ref()
    if consumer is None or not consumer.joined_groups:
        return
    task = asyncio.ensure_future(consumer._renew_groups())
    _renewals.add(task)
    task.add_done_callback(_renewals.discard)
