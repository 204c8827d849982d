"""Safe defaults on every response: a Content-Security-Policy with no inline script (looser only
under Wagtail's admin), no-store on signed-in pages, no private media by address, and WebSockets
only from our own origin (host and port)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.security import origin_allowed
from core.tests.factories import UserFactory
from tests.support import REPO_ROOT, launched_chromium, live_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def our_templates() -> Iterator[Path]:
    listed = subprocess.run(["git", "ls-files", "*.html"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    for name in listed.stdout.split():
        if "/static/" not in f"/{name}":
            yield REPO_ROOT / name


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_handlers_or_javascript_urls():
    offenders = []
    for path in our_templates():
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or HANDLER.search(text) or "javascript:" in text.lower():
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert not offenders, f"inline script under CSP script-src 'self': {offenders}"


@pytest.mark.parametrize("path", ["/accounts/login/", "/django-admin/login/", "/live/", "/courses/"])
def test_site_pages_allow_only_our_own_scripts(client, db, path):
    response = client.get(path)
    directives = policy(response)
    assert directives["script-src"] == ["'self'"], path
    assert directives["style-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_wagtail_admin_alone_gets_inline_scripts_and_framing_by_itself(client, db):
    directives = policy(client.get("/admin/login/"))
    assert "'unsafe-inline'" in directives["script-src"] and directives["frame-ancestors"] == ["'self'"]


def test_signed_in_pages_are_never_stored(client, db):
    anonymous = client.get("/live/")
    assert anonymous.status_code == 200 and "no-store" not in anonymous.get("Cache-Control", "")
    client.force_login(UserFactory())
    for path in ("/notifications/", "/learning/record/", "/live/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path


def test_debug_serves_public_media_only(client, db, settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    for name in ("images/card.jpg", "learning/sources/lesson.mp4", "streaming/checkins/2026/12/room.jpg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert client.get("/media/images/card.jpg").status_code == 200
    assert client.get("/media/learning/sources/lesson.mp4").status_code == 404
    assert client.get("/media/streaming/checkins/2026/12/room.jpg").status_code == 404
    assert client.get("/media/images/../learning/sources/lesson.mp4").status_code == 404
    settings.DEBUG = False
    assert client.get("/media/images/card.jpg").status_code == 404  # production: the web server's job


def scope(origin: str | None, host: str = "127.0.0.1:8000") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "headers": headers}


def test_websocket_origin_must_match_host_and_port(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "dj.example.gov.cn"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://screen.example.gov.cn"]
    assert origin_allowed(scope("http://127.0.0.1:8000"))
    assert not origin_allowed(scope("http://127.0.0.1:9000")), "another service on this host"
    assert not origin_allowed(scope("http://evil.example:8000"))
    assert not origin_allowed(scope(None))
    assert origin_allowed(scope("https://dj.example.gov.cn", host="dj.example.gov.cn"))
    assert not origin_allowed(scope("http://dj.example.gov.cn", host="dj.example.gov.cn:443"))
    assert origin_allowed(scope("https://screen.example.gov.cn", host="dj.example.gov.cn"))
    # The Host itself must be one of ours.
    assert not origin_allowed(scope("http://other.example:8000", host="other.example:8000"))


# --- in a real browser: nothing the policy blocks, and Wagtail's editor still works --------------------


@pytest.fixture
def editor(transactional_db):
    from core.tests.factories import DEFAULT_PASSWORD
    from tests.support import unique_name

    user = UserFactory(username=unique_name("csp"), is_staff=True, is_superuser=True)
    return user.username, DEFAULT_PASSWORD


@pytest.fixture
def chromium(editor) -> Iterator:
    with launched_chromium() as browser:
        yield browser


WATCH = """() => { window.__csp = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


@pytest.mark.browser
@pytest.mark.daphne
@live_db
def test_pages_and_the_wagtail_editor_run_under_the_policy(chromium, daphne, editor):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH.removeprefix("() => {").removesuffix("}"))
    page = context.new_page()
    violations: list[str] = []

    def visit(path: str) -> None:
        page.goto(f"{daphne.url}{path}")
        page.wait_for_load_state("networkidle")
        seen = page.evaluate("() => window.__csp")
        assert isinstance(seen, list), "the violation watcher did not load"
        violations.extend(f"{path}: {v}" for v in seen)

    for path in ("/", "/news/", "/live/", "/courses/", "/forum/", "/accounts/login/"):
        visit(path)
    # The policy bites (and the watcher sees it): an injected inline script does not run.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; "
        "document.body.append(s); }"
    )
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__ran") is None
    page.goto(f"{daphne.url}/admin/login/")
    page.locator("#id_username").fill(editor[0])
    page.locator("#id_password").fill(editor[1])
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(f"{daphne.url}/admin/")
    visit("/admin/pages/")
    # The page editor's scripts ran: its Stimulus controllers are connected and the title field is live.
    home_id = page.evaluate(
        "() => [...document.querySelectorAll('a[href*=\"/edit/\"]')].map(a => a.href.match(/pages\\/(\\d+)\\/edit/))"
        ".filter(Boolean).map(m => m[1])[0]"
    )
    visit(f"/admin/pages/{home_id}/edit/")
    assert page.evaluate("() => !!(window.wagtail && window.wagtail.app)"), "Wagtail's admin JS did not start"
    assert not violations, violations
    context.close()
