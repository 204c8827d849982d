"""machina's permission checker plus our private-forum and newcomer rules (forum/permissions.py)."""

from __future__ import annotations

from machina.apps.forum_permission.checker import ForumPermissionChecker as MachinaForumPermissionChecker

from forum import permissions


class ForumPermissionChecker(MachinaForumPermissionChecker):
    def __init__(self, user):
        super().__init__(user)
        self._policies = None
        self._approved_posts = None
        self._approves: dict[int, bool] = {}

    def prime(self, forums) -> None:
        """Work out the permissions of many forums in one go (machina asks forum by forum).

        Fills the per-forum cache machina's has_perm() reads, so a page that checks, say, "may
        ask here" for every forum in a list costs the same few queries however many forums exist.
        """
        missing = [f for f in forums if f.id not in self._forum_perms_cache]
        if missing and not self.user.is_superuser and (self.user.is_anonymous or self.user.is_active):
            for forum, codes in self.get_perms_for_forumlist(missing).items():
                self._forum_perms_cache[forum.id] = codes

    def get_perms_for_forumlist(self, forums, perm_codenames=None):
        perms = super().get_perms_for_forumlist(forums, perm_codenames)
        if self._policies is None:
            self._policies = permissions.policies_by_forum()
        if not self._policies:
            return perms

        def may_approve(forum) -> bool:
            if forum.id not in self._approves:
                # One lookup for every pre-moderated forum of this list, not one per forum.
                moderated = [
                    f
                    for f in perms
                    if f is not None
                    and f.id not in self._approves
                    and getattr(self._policies.get(f.id), "moderate_newcomers", False)
                ]
                granted = super(ForumPermissionChecker, self).get_perms_for_forumlist(moderated, ["can_approve_posts"])
                for f, codes in granted.items():
                    self._approves[f.id] = "can_approve_posts" in codes
            return self._approves.get(forum.id, False)

        def approved_posts() -> int:
            if self._approved_posts is None:
                self._approved_posts = permissions.approved_posts_count(self.user)
            return self._approved_posts

        return permissions.apply_policies(self.user, perms, perm_codenames, self._policies, may_approve, approved_posts)
