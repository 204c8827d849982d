"""Helpers for the cross-process suites: real Daphne processes, HTTP and WebSocket clients.

Every wait has a timeout, so a stalled subprocess fails a test instead of hanging the run.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from requests.adapters import HTTPAdapter
from websockets.sync.client import ClientConnection, connect

REPO_ROOT = Path(__file__).resolve().parents[1]

# Tests that drive a subprocess: their rows must be committed (transactional), and the rows the
# migrations made (the Wagtail home page and its Site) must be back after each flush so that a
# long-lived Daphne sees the same baseline in every test.
live_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STARTUP_TIMEOUT = 30.0  # seconds for a Daphne process to answer /healthz
HTTP_TIMEOUT = 15.0
WS_TIMEOUT = 10.0
SUBPROCESS_TIMEOUT = 60.0

# Variables that configure the site; subprocesses get exactly the ones a test chooses. Others
# (LOGIN_FAILURE_LIMIT …) are inherited, so the test process and its servers agree on them.
CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CHANNEL_PREFIX",
    "CACHE_PREFIX",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_SETTINGS_MODULE",
)

# Where the multi-process suites meet in Redis; a database of its own, away from dev data.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")

# One prefix per test run, so that parallel runs on one Redis never see each other's groups.
# config.settings.test also makes it the cache KEY_PREFIX: the servers of one run share
# their login counters with each other and with nobody else.
RUN_CHANNEL_PREFIX = f"test{secrets.token_hex(4)}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_name(prefix: str) -> str:
    """A username no other test uses: a session-long Daphne keeps login counters between tests."""
    return f"{prefix}{secrets.token_hex(5)}"


def random_loopback_ip() -> str:
    """An address in 127.0.0.0/8 other than 127.0.0.1, so per-address counters start at zero."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def subprocess_database_url(name: str | None = None) -> str:
    """DATABASE_URL of the database pytest-django created (or of database `name` on the same
    server, or SQLite file `name`), for a subprocess to open."""
    from django.db import connection

    sd = {**connection.settings_dict, **({"NAME": name} if name else {})}
    if connection.vendor == "sqlite":
        name = str(sd["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError("an in-memory SQLite test database cannot be shared with a subprocess")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        auth = quote(sd.get("USER") or "", safe="")
        if sd.get("PASSWORD"):
            auth += ":" + quote(sd["PASSWORD"], safe="")
        # An empty HOST means the local socket, as in settings; keep it empty.
        host = sd.get("HOST") or ""
        port = f":{sd['PORT']}" if sd.get("PORT") else ""
        return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(sd['NAME'], safe='')}"
    raise RuntimeError(f"no DATABASE_URL form for the {connection.vendor} backend")


def subprocess_env(**values: str | None) -> dict[str, str]:
    """The inherited environment without site configuration, plus `values` (None removes)."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env["PYTHONUNBUFFERED"] = "1"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def redis_unreachable_reason(url: str) -> str | None:
    """None if Redis at `url` answers PING, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (OSError, redis.RedisError) as exc:
        return f"Redis at {url} is unreachable ({exc}); these tests need a running Redis server"
    return None


class DaphneProcess:
    """One `python -m daphne` subprocess serving config.asgi on a free port."""

    stop_signal = signal.SIGTERM

    def __init__(self, env: dict[str, str], name: str = "daphne") -> None:
        self.env = env
        self.name = name
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._stopping: subprocess.Popen | None = None
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self._stderr_path = self.log_dir / "stderr.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"]

    def spawn(self) -> None:
        self.port = free_port()
        cmd = self.command()
        # A file, not a pipe: nobody reads the pipe while tests run, and a full pipe blocks Daphne.
        with open(self._stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,  # its own process group, so teardown can end all of it
            )

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        session = http_session()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaphneError(self, f"exited with code {self.proc.returncode} before it was ready")
            with contextlib.suppress(requests.RequestException):
                session.get(f"{self.url}/healthz", timeout=2, allow_redirects=False)  # any answer
                return
            time.sleep(0.1)
        raise DaphneError(self, f"did not answer /healthz within {timeout:.0f} s")

    def lost_its_port(self) -> bool:
        """Whether it exited because another process took the port between free_port() and bind()."""
        return self.proc is not None and self.proc.poll() is not None and "Address already in use" in self.stderr()

    def start(self, attempts: int = 3) -> DaphneProcess:
        """Spawn and wait, on a fresh port if the first one was taken meanwhile."""
        for attempt in range(attempts):
            self.spawn()
            try:
                self.wait_ready()
                return self
            except DaphneError:
                lost_port = self.lost_its_port()
                self.stop()
                if not lost_port or attempt == attempts - 1:
                    raise
        return self

    def request_stop(self) -> None:
        """Ask it to stop without waiting (stop() then waits), so that several stop side by side."""
        if self.proc is not None and self.proc.poll() is None and self._stopping is not self.proc:
            self._stopping = self.proc  # once per process: a second signal may cut its shutdown short
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, self.stop_signal)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.request_stop()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        else:
            # Daphne itself is gone; anything it started in its group goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def stderr(self, limit: int = 6000) -> str:
        try:
            text = self._stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return text[-limit:]

    def diagnostics(self) -> str:
        """What to append to an assertion message: the process state and its output."""
        state = "running" if self.proc and self.proc.poll() is None else f"exit {self.proc and self.proc.returncode}"
        return f"\n--- {self.name} on port {self.port} ({state}), stderr:\n{self.stderr() or '(empty)'}"


class DaphneError(AssertionError):
    def __init__(self, server: DaphneProcess, what: str) -> None:
        super().__init__(f"{server.name} {what}{server.diagnostics()}")


class GunicornProcess(DaphneProcess):
    """gunicorn serving config.wsgi (the README's page server: gthread workers), one small worker."""

    # SIGTERM is gunicorn's graceful stop, which waits out idle keep-alive connections; SIGINT is quick.
    stop_signal = signal.SIGINT

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--worker-class", "gthread", "--workers", "1", "--threads", "4", "--log-level", "warning",
            # As in the README: the site alone decides whose X-Forwarded-Proto counts (TRUSTED_PROXIES).
            "--forwarded-allow-ips", "",
        ]  # fmt: skip


@contextlib.contextmanager
def running_daphnes(*envs: tuple[str, dict[str, str]]) -> Iterator[list[DaphneProcess]]:
    """Start several Daphne processes side by side; always stop all of them."""
    with running_servers(*(DaphneProcess(env, name) for name, env in envs)) as servers:
        yield servers


@contextlib.contextmanager
def running_servers(*servers: DaphneProcess) -> Iterator[list[DaphneProcess]]:
    """Start several servers (Daphne, gunicorn) side by side; always stop all of them."""
    try:
        for server in servers:  # spawn together: start-up is mostly importing Django
            server.spawn()
        for server in servers:
            try:
                server.wait_ready()
            except DaphneError:
                if not server.lost_its_port():
                    raise
                server.stop()
                server.start()
        yield list(servers)
    finally:
        for server in servers:
            server.request_stop()
        for server in servers:
            server.stop()
            shutil.rmtree(server.log_dir, ignore_errors=True)


# --- HTTP ---------------------------------------------------------------------------------


class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source_ip: str) -> None:
        self._source_ip = source_ip
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._source_ip, 0)
        return super().init_poolmanager(*args, **kwargs)


def http_session(source_ip: str | None = None) -> requests.Session:
    """A requests session that ignores proxy variables and, optionally, connects from `source_ip`."""
    session = requests.Session()
    session.trust_env = False
    if source_ip:
        session.mount("http://", _SourceAddressAdapter(source_ip))
        session.mount("https://", _SourceAddressAdapter(source_ip))
    return session


def login_attempt(server: DaphneProcess, session: requests.Session, username: str, password: str) -> requests.Response:
    """Post the login form the way a browser does; a success answers with a redirect."""
    login_url = f"{server.url}/accounts/login/"
    page = session.get(login_url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"GET /accounts/login/ → {page.status_code}{server.diagnostics()}"
    token = session.cookies.get("csrftoken")
    assert token, f"no csrftoken cookie from /accounts/login/{server.diagnostics()}"
    return session.post(
        login_url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/"},
        headers={"Referer": login_url},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )


def is_signed_in(server: DaphneProcess, session: requests.Session) -> bool:
    """Whether the session opens a page that needs a sign-in. (A sessionid cookie alone proves
    nothing: the forum middleware gives every anonymous visitor a session.)"""
    response = session.get(f"{server.url}/notifications/", timeout=HTTP_TIMEOUT, allow_redirects=False)
    assert response.status_code in (200, 302), f"GET /notifications/ → {response.status_code}{server.diagnostics()}"
    return response.status_code == 200


def signed_in_session(
    server: DaphneProcess, username: str, password: str, *, source_ip: str | None = None
) -> requests.Session:
    session = http_session(source_ip)
    response = login_attempt(server, session, username, password)
    assert response.status_code == 302 and is_signed_in(server, session), (
        f"login of {username} through {server.name} failed: {response.status_code} "
        f"{form_errors(response.text)}{server.diagnostics()}"
    )
    return session


def form_errors(html: str) -> str:
    """The error texts of a rendered form, for assertion messages and checks."""
    return " | ".join(m.strip() for m in re.findall(r'class="error[^"]*"[^>]*>(.*?)</', html, flags=re.S))


def post_form(server: DaphneProcess, session: requests.Session, path: str, data: dict) -> requests.Response:
    """GET the form (for the CSRF cookie), then POST it with the token and a same-origin Referer."""
    url = f"{server.url}{path}"
    page = session.get(url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"GET {path} → {page.status_code}{server.diagnostics()}"
    return session.post(
        url,
        data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": url},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )


# --- WebSocket ----------------------------------------------------------------------------


def ws_connect(server: DaphneProcess, *, sessionid: str | None = None, origin: str | None = None) -> ClientConnection:
    """Open /ws/notifications/ with the session cookie and an Origin (our own unless given)."""
    headers = {"Cookie": f"sessionid={sessionid}"} if sessionid else {}
    return connect(
        server.ws_url("/ws/notifications/"),
        origin=origin or server.url,
        additional_headers=headers,
        open_timeout=WS_TIMEOUT,
        close_timeout=5,
        proxy=None,
    )


# --- Browser --------------------------------------------------------------------------------

# `make test` passes the Chromium it found (or refuses to start, saying what to install).
CHROMIUM = Path(os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_MISSING = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium fonts-noto-cjk (or set CHROMIUM)"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_thread(fn):
    """Run fn (database work) outside Playwright's event loop, closing that thread's connection after:
    Django refuses ORM calls in a thread where an event loop runs."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


@contextlib.contextmanager
def launched_chromium(extra_args: tuple[str, ...] = ()) -> Iterator:
    """The system Chromium, headless, through Playwright; the test fails, never skips, without it.

    Open it from a fixture that depends on the test's data fixtures: Playwright's sync API runs an
    event loop in this thread, and Django refuses ORM calls while one is running.
    """
    if not CHROMIUM.exists():
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args], timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, server, username: str, password: str | None = None, *, next_url: str = "/") -> None:
    """Sign in through the site's own form, as a person would, and wait for `next_url`. `server` is a
    Daphne fixture or a base URL; the form is found by its Chinese labels (the default language)."""
    from core.tests.factories import DEFAULT_PASSWORD

    base = getattr(server, "url", server)
    page.goto(f"{base}/accounts/login/" + (f"?next={quote(next_url)}" if next_url != "/" else ""))
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(password or DEFAULT_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{next_url}", timeout=30_000)


def stored_session_for(user):
    """A stored session that signs `user` in, as the sign-in view leaves it: put it in a socket test's
    scope["session"] beside scope["user"] (sockets re-read it before acting, core/socket_sessions.py)."""
    from importlib import import_module

    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store
