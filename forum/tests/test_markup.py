"""Posts are safe to show: a corpus of XSS payloads (raw HTML, event handlers, script URLs in every
encoding, style injection, SVG/MathML, nested Markdown tricks and the known markdown2 safe_mode
bypasses) leaves no executable HTML, while ordinary Markdown still formats."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from machina.core.db.models import get_model

from forum.markup import ALLOWED_TAGS, render_markdown

Post = get_model("forum_conversation", "Post")

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "data", "srcset"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# How a browser reads a URL (WHATWG URL standard): leading and trailing C0 controls and spaces are
# stripped, and tabs and newlines are removed anywhere ("jav\tascript:" is "javascript:").
TAB_OR_NEWLINE = re.compile(r"[\t\n\r]+")
C0_AND_SPACE = "".join(chr(i) for i in range(0x21))

CORPUS = [
    # raw HTML and event handlers
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<button formaction="javascript:alert(1)">x</button>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#1;javascript:alert(1)">x</a>',
    "<!-- --><script>alert(1)</script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<p style="behavior:url(x.htc)">x</p>',
    '<a href="#" style="position:fixed;top:0;left:0;width:100%;height:100%">x</a>',
    # javascript:, vbscript:, data: in Markdown links and images, in every encoding
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](javas&#99;ript:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](&#0000106avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#x0A;ascript:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](<javascript:alert(1)>)",
    "![x](javascript:alert(1))",
    "![i](javascript:alert('markdown2'))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](vbscript:msgbox(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x][ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    # attribute break-outs through titles, alt texts and autolinks
    '[x](http://example.org "title" onmouseover="alert(1)")',
    "[x](http://example.org 'x' onclick=alert(1))",
    '![x](x" onerror="alert(1))',
    '![x"onerror="alert(1)](x)',
    '![" onerror="alert(1)](http://example.org/a.png)',
    '[xss](" onmouseover="alert(1))',
    '<http://example.org/" onmouseover="alert(1)>',
    '<a@b.c" onmouseover="alert(1)>',
    # nested Markdown tricks
    "[![x](javascript:alert(1))](javascript:alert(2))",
    "[<img src=x onerror=alert(1)>](http://example.org)",
    "**<img src=x onerror=alert(1)>**",
    "> <script>alert(1)</script>",
    "* <img src=x onerror=alert(1)>",
    "# <svg onload=alert(1)>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    '```html" onmouseover="alert(1)\nx\n```',
    "    <script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    # markdown2 safe_mode bypasses reported upstream (CVE-2018-5773, CVE-2020-11888 and friends)
    "<http://g<!s://q?<!-<[<script>alert(1);/*](http://g)->a><http://g<!s://g.c?<!-<[a\\*/</script>alert(1);/*](http://g)->a>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="#" onclick="alert(1)">x</a>',
    "<img src=`x` onerror=alert(1)>",
    '[x](http://example.org"><script>alert(1)</script>)',
    '[x](#" onclick="alert(1))',
    '<a href="javas\x00cript:alert(1)">x</a>',
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def problems(html: str) -> list[str]:
    """Why this HTML could run script or restyle the page (empty when it is inert)."""
    found = []
    parser = _Collector()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        if tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on") or name in {"style", "srcdoc"}:
                found.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                cleaned = TAB_OR_NEWLINE.sub("", value.strip(C0_AND_SPACE)).lower()
                match = SCHEME.match(cleaned)
                if match and match.group(1) not in SAFE_SCHEMES:
                    found.append(f"{name}={value!r} on <{tag}>")
    return found


def test_the_check_flags_executable_html():
    """The corpus check itself can fail: each of these is caught."""
    for html in [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<img src="x" onerror="alert(1)">',
        '<p style="color:red">x</p>',
        "<svg></svg>",
        '<img src="data:image/svg+xml;base64,AAAA">',
    ]:
        assert problems(html), html


@pytest.mark.parametrize("payload", CORPUS)
def test_payload_leaves_no_executable_html(payload):
    html = render_markdown(payload)
    assert problems(html) == [], html


def test_html_typed_in_a_post_is_shown_as_text():
    html = render_markdown("我想问 <b>党费</b> 和 <script>alert(1)</script> 的事")
    assert "&lt;b&gt;党费&lt;/b&gt;" in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "<script" not in html


def test_markdown_still_formats_a_members_answer():
    html = render_markdown(
        "**退休党员**按退休费总额缴纳：\n\n1. 5000元以下交0.5%\n2. 5000元以上交1%\n\n"
        "详见[党费规定](https://www.12371.cn/)。\n第二行\n\n```\ncode <b>\n```"
    )
    assert "<strong>退休党员</strong>" in html
    assert "<ol>" in html and "<li>5000元以下交0.5%</li>" in html
    assert 'href="https://www.12371.cn/"' in html and 'rel="nofollow noopener noreferrer ugc"' in html
    assert "<br>" in html  # a line break in a paragraph stays a line break
    assert "<pre><code>code &lt;b&gt;\n</code></pre>" in html


def test_safe_links_and_images_keep_their_urls():
    html = render_markdown("![党徽](https://example.org/a.png) [邮件](mailto:dj@example.org) [站内](/forum/)")
    assert 'src="https://example.org/a.png"' in html
    assert 'href="mailto:dj@example.org"' in html
    assert 'href="/forum/"' in html


@pytest.mark.django_db
def test_machina_renders_posts_through_our_renderer(qa):
    """MACHINA_MARKUP_LANGUAGE points machina's MarkupTextField at render_markdown: what machina
    stores for display is sanitised, whoever writes the post."""
    from forum.tests.factories import ask

    topic = ask(qa.asker, qa.public, content="![i](javascript:alert(1)) <img src=x onerror=alert(1)>")
    stored = Post.objects.get(pk=topic.first_post_id)._content_rendered
    assert problems(stored) == [] and "javascript" not in stored
    assert stored == render_markdown(stored_source := Post.objects.get(pk=topic.first_post_id).content.raw)
    assert "onerror" in stored_source  # the member's text is kept as written; only its display is cleaned
