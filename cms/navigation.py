"""The CMS's entries on 我的 (core.navigation)."""

from django.utils.translation import gettext_lazy as _

from core.navigation import Entry, register

register(
    Entry(
        key="cms.services",
        section="community",
        label=_("Services directory"),
        hint=_("Medical care, laws and regulations, policies for businesses"),
        url_name="cms:services_index",
        order=20,
    )
)
