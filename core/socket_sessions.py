"""Sockets end with the sign-in: signing out, changing the password or being deactivated closes a
person's open WebSockets (notifications, live chat, the browser camera).

Two halves, either of which suffices on its own:

- a push: `sockets_close(user_id=…, session_key=…)` sends `user.sockets.close` to the person's group
  after the commit; each process keeps one channel on the layer for all its local sockets (the live
  sockets deliberately have no channel of their own, see streaming/hub.py) and closes the matching
  ones with 4401. A sign-out closes the sockets of that session; a new password or a deactivation
  closes all of the person's sockets.
- a check: `session_is_current` on each message a socket receives, which reads the session again,
  so a lost push (or a dead Redis) still stops a signed-out socket from acting as its user.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
from importlib import import_module

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.utils.crypto import constant_time_compare

from core.layers import LayerSubscription, layer_push

CLOSE_SIGNED_OUT = 4401
Closer = Callable[[], Awaitable[None]]


def sockets_group(user_id: int) -> str:
    return f"user-sockets.{user_id}"


# --- the check ----------------------------------------------------------------------------------


def session_identity(scope) -> tuple[str | None, str | None]:
    """(session key, auth hash) the socket was opened with; compare later with `session_is_current`."""
    session = scope.get("session")
    if session is None:
        return None, None
    return session.session_key, session.get(HASH_SESSION_KEY)


def session_is_current(*, user, session_key: str | None, auth_hash: str | None) -> bool:
    """Whether the session a socket was opened with still signs `user` in. Synchronous (database)."""
    from core.models import User

    if not session_key or not auth_hash or user is None or not user.is_authenticated:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()  # {} once the session is flushed (sign-out) or expired
    if data.get(SESSION_KEY) != str(user.pk) or not constant_time_compare(data.get(HASH_SESSION_KEY, ""), auth_hash):
        return False
    current = User.objects.filter(pk=user.pk, is_active=True).values_list("password", flat=True).first()
    if current is None:
        return False
    # The hash Django derives from the password: a new password signs every old session out.
    fresh = User(pk=user.pk, password=current).get_session_auth_hash()
    return constant_time_compare(fresh, auth_hash)


# --- the push -----------------------------------------------------------------------------------


def sockets_close(*, user_id: int, session_key: str | None = None) -> None:
    """After the commit, close the person's sockets (only those of `session_key` when given)."""

    def push() -> None:
        # Best effort: session_is_current stops the sockets at their next message.
        layer_push(
            sockets_group(user_id),
            {"type": "user.sockets.close", "user": user_id, "session": session_key},
            what=f"closing the sockets of user {user_id}",
        )

    transaction.on_commit(push)


class _Registry:
    """This process's sockets by person, and its one channel on the layer (kept subscribed by
    core.layers.LayerSubscription while any socket is open here)."""

    def __init__(self) -> None:
        self.sockets: dict[int, dict[Closer, str | None]] = {}
        self.subscription: LayerSubscription | None = None
        self.lock = asyncio.Lock()

    async def add(self, user_id: int, session_key: str | None, close: Closer) -> None:
        async with self.lock:
            first = user_id not in self.sockets
            self.sockets.setdefault(user_id, {})[close] = session_key
            if not first or get_channel_layer() is None:
                return
            if self.subscription is None:
                self.subscription = LayerSubscription("sign-out registry", self._on_layer_message)
                await self.subscription.start([sockets_group(user_id)])
            else:  # a failure is retried by the subscription; the check on each message still holds
                await self.subscription.add(sockets_group(user_id))

    async def remove(self, user_id: int, close: Closer) -> None:
        async with self.lock:
            mine = self.sockets.get(user_id)
            if mine is None:
                return
            mine.pop(close, None)
            if mine:
                return
            del self.sockets[user_id]
            if self.subscription is None:
                return
            if self.sockets:
                await self.subscription.discard(sockets_group(user_id))
            else:
                # No socket left here: stop reading the layer (a new channel with the next socket).
                subscription, self.subscription = self.subscription, None
                await subscription.stop()

    async def close_matching(self, user_id: int, session_key: str | None) -> None:
        targets = [
            close for close, key in self.sockets.get(user_id, {}).items() if session_key is None or key == session_key
        ]
        for close in targets:
            with contextlib.suppress(Exception):
                await close()

    async def _on_layer_message(self, message: dict) -> None:
        if message.get("type") == "user.sockets.close" and isinstance(message.get("user"), int):
            await self.close_matching(message["user"], message.get("session"))


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Registry] = weakref.WeakKeyDictionary()


def _registry() -> _Registry:
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = _Registry()
    return registry


async def socket_register(*, user_id: int, session_key: str | None, close: Closer) -> None:
    """Have `close` called when this person signs out (that session), changes password or is deactivated."""
    await _registry().add(user_id, session_key, close)


async def socket_unregister(*, user_id: int, close: Closer) -> None:
    await _registry().remove(user_id, close)


# --- when: connected in CoreConfig.ready, so every path (site, both admins, the shell) is covered ------


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and getattr(request, "session", None) is not None:
        sockets_close(user_id=user.pk, session_key=request.session.session_key)


def on_user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login at every sign-in: no query
    before = type(instance).objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._sockets_close = before is not None and (
        before["password"] != instance.password or (before["is_active"] and not instance.is_active)
    )


def on_user_post_save(sender, instance, created=False, **kwargs) -> None:
    if getattr(instance, "_sockets_close", False):
        instance._sockets_close = False
        sockets_close(user_id=instance.pk)
