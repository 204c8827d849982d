"""machina's permission middleware without a session row for every anonymous reader.

machina gives each anonymous visitor a random "forum key" and keeps it in the session, so that an
anonymous author can later be recognised (anonymous posts, poll votes). Stored on every request,
that writes a session row (and sets a cookie) for each reader of any page — crawlers and phones
that drop cookies included — and defeats caching. The key matters only once an anonymous visitor
changes something, so it is kept only then: a read (GET/HEAD/OPTIONS) by a visitor who has no key
yet gets a throw-away key that matches nothing.
"""

from __future__ import annotations

from machina.apps.forum_permission.middleware import ForumPermissionMiddleware as MachinaMiddleware
from machina.core.loading import get_class

PermissionHandler = get_class("forum_permission.handler", "PermissionHandler")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ForumPermissionMiddleware(MachinaMiddleware):
    def process_request(self, request):
        if (
            not request.user.is_authenticated
            and request.method in SAFE_METHODS
            and request.session.get(self.anonymous_forum_key_session_id) is None
        ):
            request.user.forum_key = self.get_anonymous_forum_key()
            request.forum_permission_handler = PermissionHandler()
            return None
        return super().process_request(request)
