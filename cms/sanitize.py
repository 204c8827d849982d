"""The last line of defence for rich text: whatever reached the database, only safe HTML leaves.

Wagtail's editor already whitelists what an editor can type, but rich text can also arrive from
imports, the shell or an older revision. Rendering passes the expanded HTML through nh3 (the
ammonia sanitiser) with the tags our editor features produce, so a stored `<script>` or
`onerror=` never reaches a reader.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "b",
    "strong",
    "i",
    "em",
    "ul",
    "ol",
    "li",
    "hr",
    "a",
    "img",
    "blockquote",
    "sup",
    "sub",
    "code",
    "span",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "class"},
    "div": {"class"},
    "span": {"class"},
    "p": {"class"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean_rich_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
