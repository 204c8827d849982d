"""Post rendering: Markdown → HTML → allow-list sanitiser. machina renders every MarkupTextField through
`render_markdown` (MACHINA_MARKUP_LANGUAGE), so posts, forum descriptions and signatures are all safe.

Two layers, because either alone has failed elsewhere:

1. Markdown with raw HTML switched off: `<script>` typed by a member is text, shown as typed.
2. nh3 (ammonia) parses the result as a browser would (entities decoded, broken tags repaired) and
   keeps only the tags, attributes and URL schemes listed here. This is what stops
   `[x](javas&#99;ript:…)` and the known markdown2 `safe_mode` bypasses: the scheme is checked after
   decoding, not as typed.

No `style` attribute, no event handler, no `data:`/`javascript:`/`vbscript:` URL survives.
"""

from __future__ import annotations

import html
import re
import threading

import markdown
import nh3

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Links leave the site without our referrer and earn no ranking: members' posts are user content.
LINK_REL = "nofollow noopener noreferrer ugc"
# Only the language hint fenced_code writes ("language-python") survives in a class attribute.
_CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")
MAX_SOURCE_LENGTH = 20_000


class _NoRawHtml(markdown.Extension):
    """Treat HTML typed into a post as text (escaped), like any other character."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


_local = threading.local()


def _markdown() -> markdown.Markdown:
    # Python-Markdown instances are reusable but not thread-safe; Daphne runs views in threads.
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=["fenced_code", "tables", "sane_lists", "nl2br", _NoRawHtml()],
            extension_configs={"tables": {"use_align_attribute": True}},
            output_format="html",
        )
        _local.md = md
    return md


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "code" and attribute == "class":
        return value if _CODE_CLASS.match(value) else None
    return value


def sanitize_html(fragment: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes of an HTML fragment."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render_markdown(text: str | None) -> str:
    """Safe HTML for a member's Markdown. machina calls this for every MarkupTextField it saves."""
    if not text:
        return ""
    source = str(text)[:MAX_SOURCE_LENGTH]
    md = _markdown()
    try:
        rendered = md.reset().convert(source)
    except Exception:  # a pathological input must not lose the post: show it as plain text instead
        rendered = "<p>" + html.escape(source).replace("\n", "<br>") + "</p>"
    return sanitize_html(rendered).strip()


def plain_text(rendered_html: str, *, limit: int | None = None) -> str:
    """The text of rendered HTML (for notifications, snippets and search), whitespace collapsed."""
    text = nh3.clean(rendered_html or "", tags=set())
    text = re.sub(r"\s+", " ", html.unescape(text)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
