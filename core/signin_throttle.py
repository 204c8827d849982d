"""One sign-in throttle for every door (the site's, Wagtail's /admin/, Django's /django-admin/).

django-axes watches every `authenticate()` that carries a request and answers a locked-out client
with `signin_locked_out` (in Chinese, with the time to wait). Counters live in the cache (Redis in
production, so every process shares them) and are kept per account and per client address:

- per account: a username and a mobile number are the same account (`throttle_account`), so an
  attacker gets AXES_FAILURE_LIMIT guesses per account, not that many per spelling;
- per address (core.client_address, so a forged X-Forwarded-For changes nothing): a few times
  more (SIGNIN_ADDRESS_FAILURE_FACTOR), because many members share a branch venue's network.
There is no counter shared by everybody, so nobody can lock out every user.

Axes's own cache handler compares every counter with one limit; this handler gives the address
its larger allowance and clears only the account's counter on a successful sign-in (clearing the
address's would let one valid account reset an attacker's budget).
"""

from __future__ import annotations

import hashlib
import math

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache_timeout, get_client_username, get_cool_off, get_credentials, get_failure_limit
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from core.client_address import client_address


def throttle_account(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a sign-in attempt is for: the same for its username and its mobile number."""
    from core.models import User

    login = (credentials or {}).get("username")
    if login is None and request is not None:
        login = request.POST.get("username")
    login = (login or "").strip()
    if not login:
        return None  # no account named: only the address counts
    username = (
        User.objects.filter(Q(username=login) | Q(mobile=login))
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    # An unknown name is counted too, under its own spelling, so guessing it costs the same.
    return f"user:{username}" if username is not None else f"login:{login.lower()}"


def _key(kind: str, value: str) -> str:
    return f"axes-{kind}-{hashlib.sha256(value.encode()).hexdigest()[:40]}"


class SignInThrottleHandler(AxesCacheHandler):
    def _counters(self, request: HttpRequest, credentials: dict | None) -> list[tuple[str, int]]:
        """(cache key, the failures it allows) for the account and for the address."""
        limit = get_failure_limit(request, credentials)
        counters = []
        account = get_client_username(request, credentials)
        if account:
            counters.append((_key("account", account), limit))
        address = getattr(request, "axes_ip_address", None) or client_address(request)
        if address:
            counters.append((_key("address", address), limit * settings.SIGNIN_ADDRESS_FAILURE_FACTOR))
        return counters

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # On the account's scale: the base class compares the result with AXES_FAILURE_LIMIT.
        limit = get_failure_limit(request, credentials)
        worst = 0
        for key, allowed in self._counters(request, credentials):
            worst = max(worst, int(self.cache.get(key, default=0)) * limit // allowed)
        return worst

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None or self.is_whitelisted(request, credentials):
            return
        timeout = get_cache_timeout(request)
        for key, _allowed in self._counters(request, credentials):
            if not self.cache.add(key, 1, timeout=timeout):
                self.cache.incr(key)
                self.cache.touch(key, timeout=timeout)  # the wait counts from the latest failure
        request.axes_failures_since_start = self.get_failures(request, credentials)
        if request.axes_failures_since_start >= get_failure_limit(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        account = get_client_username(request, get_credentials(user.get_username()))
        if account:
            self.cache.delete(_key("account", account))

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        """`manage.py axes_reset_ip/axes_reset_username`: username is the account as `throttle_account` names it."""
        keys = []
        if username:
            keys.append(_key("account", username))
        if ip_address:
            keys.append(_key("address", ip_address))
        return sum(1 for key in keys if self.cache.delete(key))


def lockout_message(minutes: int) -> str:
    return ngettext(
        "Too many failed log-in attempts. Try again in %(minutes)d minute.",
        "Too many failed log-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def signin_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a locked-out sign-in at any door: when to try again, in the visitor's language."""
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 1
    return render(request, "core/signin_locked.html", {"message": lockout_message(minutes)}, status=429)
