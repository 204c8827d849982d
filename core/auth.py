"""Sign in with a username or an 11-digit mobile number."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from core.models import User


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(Q(username=login) | Q(mobile=login)).order_by("pk").first()
        if user is None:
            # Run the hasher anyway so response time doesn't reveal whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes's lock check (core/signin_throttle.py), first in AUTHENTICATION_BACKENDS.

    Every sign-in door (site, Wagtail admin, Django admin) authenticates with the request. Calls
    without one (the test client's login(), the shell) are not reachable from outside and have no
    address to count, so they are let through instead of raising as Axes does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
