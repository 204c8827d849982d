"""The site's navigation: the main tabs everyone sees, and the entries a person's roles give them on 我的 (/me/).

An app declares its entries in `<app>/navigation.py` with `register(Entry(...))`; the first call of
`entries_for()` imports those modules for the project's own apps (the way the admin finds `admin.py`
and seed_demo finds demo steps). Each entry carries its permission predicate, so 我的 lists exactly
what the person may open, and each role reaches its work in two taps: 我的 → the entry.

An entry that stands for several objects (the events someone hosts, the venues someone runs) gives
`links` instead of `url_name`: a function returning one `Link` per object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

Label = str | Promise


@dataclass(frozen=True)
class Section:
    key: str
    label: Label
    order: int


# The groups of 我的, in this order. Apps put entries in one of these.
SECTIONS = (
    Section("work", _("My work"), 10),
    Section("learning", _("Learning"), 20),
    Section("live", _("Live sessions"), 30),
    Section("community", _("Q&A and services"), 40),
    Section("admin", _("Administration"), 50),
)
SECTION_KEYS = {s.key for s in SECTIONS}


@dataclass(frozen=True)
class Link:
    label: Label
    url: str
    hint: Label = ""


def signed_in(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


@dataclass(frozen=True)
class Entry:
    key: str
    section: str
    label: Label
    url_name: str = ""
    url_kwargs: dict = field(default_factory=dict)
    hint: Label = ""
    order: int = 100
    # Who sees the entry. Must not raise for any signed-in user; cheap (memberships are cached per request).
    allowed: Callable = signed_in
    # For entries standing for several objects: one link each (an empty list hides the entry).
    links: Callable | None = None

    def links_for(self, user) -> list[Link]:
        if self.links is not None:
            return list(self.links(user))
        return [Link(label=self.label, url=reverse(self.url_name, kwargs=self.url_kwargs), hint=self.hint)]


@dataclass
class SectionEntries:
    section: Section
    # Entries with one address each, then entries standing for several objects (a heading and their links).
    links: list[Link] = field(default_factory=list)
    groups: list[tuple[Entry, list[Link]]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


_entries: dict[str, Entry] = {}
_discovered = False


def register(entry: Entry) -> Entry:
    if entry.section not in SECTION_KEYS:
        raise ValueError(f"navigation entry {entry.key!r}: unknown section {entry.section!r}")
    if entry.links is None and not entry.url_name:
        raise ValueError(f"navigation entry {entry.key!r} needs url_name or links")
    _entries[entry.key] = entry
    return entry


def discover() -> list[Entry]:
    """Import every project app's `navigation` module once; return all entries in order."""
    global _discovered
    if not _discovered:
        base_dir = Path(settings.BASE_DIR).resolve()
        for app_config in apps.get_app_configs():
            # The project's own apps, top-level or nested (governance.reports); never the virtualenv's.
            path = Path(app_config.path).resolve()
            ours = path.is_relative_to(base_dir) and ".venv" not in path.relative_to(base_dir).parts
            if ours and module_has_submodule(app_config.module, "navigation"):
                import_module(f"{app_config.name}.navigation")
        _discovered = True
    order = {s.key: s.order for s in SECTIONS}
    return sorted(_entries.values(), key=lambda e: (order[e.section], e.order, e.key))


def entries_for(user) -> list[SectionEntries]:
    """The sections of 我的 with the entries `user` may use (sections without any are left out)."""
    if not signed_in(user):
        return []
    by_section = {s.key: SectionEntries(section=s) for s in SECTIONS}
    for entry in discover():
        if not entry.allowed(user):
            continue
        links = entry.links_for(user)
        if not links:
            continue
        group = by_section[entry.section]
        group.keys.append(entry.key)
        if entry.links is None:
            group.links.extend(links)
        else:
            group.groups.append((entry, links))
    return [group for group in by_section.values() if group.keys]


# --- The main tabs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: Label
    path: str
    icon: str
    # Shown in the phone's bottom bar too (the desktop bar shows every tab).
    phone: bool = True


TABS = (
    Tab("home", pgettext_lazy("main navigation", "Home"), "/", "home"),
    Tab("news", pgettext_lazy("main navigation", "News"), "/news/", "news", phone=False),
    Tab("learning", pgettext_lazy("main navigation", "Learn"), "/courses/", "learn"),
    Tab("live", pgettext_lazy("main navigation", "Live"), "/live/", "live"),
    Tab("forum", pgettext_lazy("main navigation", "Q&A"), "/forum/", "forum"),
    Tab("services", pgettext_lazy("main navigation", "Services"), "/services/", "services", phone=False),
    Tab("me", pgettext_lazy("main navigation", "Me"), "/me/", "me"),
)
# Other paths that belong to a tab (the learning record is part of 学习, notifications of 我的).
TAB_PREFIXES = {
    "learning": ("/courses/", "/learning/"),
    "live": ("/live/", "/live-video/"),
    "forum": ("/forum/",),
    "news": ("/news/", "/updates/", "/guides/"),
    "services": ("/services/",),
    "me": ("/me/", "/notifications/", "/notices/", "/accounts/password/"),
}


def active_tab(path: str) -> str:
    if path == "/":
        return "home"
    for key, prefixes in TAB_PREFIXES.items():
        if path.startswith(prefixes):
            return key
    return ""


# --- Core's own entries (the registry lives here, so core's `navigation` module is this one) --------


def _may_send_notice(user) -> bool:
    from core.services.notices import notice_may_send

    return notice_may_send(user)


def _may_use_wagtail_admin(user) -> bool:
    return user.has_perm("wagtailadmin.access_admin")


register(
    Entry(
        key="core.notice_create",
        section="work",
        label=_("Send a notice"),
        hint=_("To everyone in an area you look after"),
        url_name="core:notice_create",
        order=80,
        allowed=_may_send_notice,
    )
)
register(
    Entry(
        key="core.wagtail_admin",
        section="admin",
        label=_("Content administration"),
        hint=_("News, guides, courses, review and publishing"),
        url_name="wagtailadmin_home",
        order=10,
        allowed=_may_use_wagtail_admin,
    )
)
register(
    Entry(
        key="core.django_admin",
        section="admin",
        label=_("System administration"),
        hint=_("Accounts, roles and the organisation trees"),
        url_name="admin:index",
        order=90,
        allowed=lambda user: user.is_active and user.is_staff,
    )
)
