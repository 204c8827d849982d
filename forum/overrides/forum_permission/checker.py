"""machina's permission checker plus our private-forum and newcomer rules (forum/permissions.py)."""

from __future__ import annotations

from machina.apps.forum_permission.checker import ForumPermissionChecker as MachinaForumPermissionChecker

from forum import permissions


class ForumPermissionChecker(MachinaForumPermissionChecker):
    def __init__(self, user):
        super().__init__(user)
        self._policies = None
        self._approved_posts = None

    def get_perms_for_forumlist(self, forums, perm_codenames=None):
        perms = super().get_perms_for_forumlist(forums, perm_codenames)
        if self._policies is None:
            self._policies = permissions.policies_by_forum()
        if not self._policies:
            return perms

        def may_approve(forum) -> bool:
            granted = super(ForumPermissionChecker, self).get_perms_for_forumlist([forum], ["can_approve_posts"])
            return "can_approve_posts" in granted[forum]

        def approved_posts() -> int:
            if self._approved_posts is None:
                self._approved_posts = permissions.approved_posts_count(self.user)
            return self._approved_posts

        return permissions.apply_policies(self.user, perms, perm_codenames, self._policies, may_approve, approved_posts)
