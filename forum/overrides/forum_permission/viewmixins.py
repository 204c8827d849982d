"""machina's PermissionRequiredMixin, answering 404 wherever the forum is not readable.

machina answers a forbidden forum with a sign-in redirect or 403, which tells an outsider that a
private forum, topic or post exists. Here a forum the user cannot read is "not found", like an id
that does not exist; other missing permissions (posting, moderating) keep machina's answers.
"""

from __future__ import annotations

from django.http import Http404
from machina.apps.forum_permission.viewmixins import PermissionRequiredMixin as MachinaPermissionRequiredMixin


def _forum_of(obj):
    for path in ("forum", "topic.forum"):
        target = obj
        for attr in path.split("."):
            target = getattr(target, attr, None)
        if target is not None:
            return target
    return obj if obj.__class__.__name__ == "Forum" else None


class PermissionRequiredMixin(MachinaPermissionRequiredMixin):
    def check_permissions(self, request):
        obj = (
            hasattr(self, "get_controlled_object")
            and self.get_controlled_object()
            or hasattr(self, "get_object")
            and self.get_object()
            or getattr(self, "object", None)
        )
        forum = _forum_of(obj) if obj is not None else None
        if forum is not None and not request.forum_permission_handler.can_read_forum(forum, request.user):
            raise Http404
        return super().check_permissions(request)
