"""The README's production shape, started for real: Debian's nginx with the repository's own site file
(deploy/nginx/dangjian.conf, only its ports, certificate and paths replaced) terminating TLS in front
of gunicorn and two Daphne processes on the test database and Redis, the site trusting the proxy
through TRUSTED_PROXIES and redirecting plain HTTP as in production.

Proved through the proxy: pages and /healthz; https as the site sees it (no redirect loop, Secure
cookies, a CSRF-checked sign-in over https); the client's address in the audit log and the sign-in
throttle, never the proxy's nor one the client wrote into X-Forwarded-For; public media from disk
and private media only through the site; live chat from a socket on one Daphne to a socket on the
other; a body over the limit refused at the edge before it is sent.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from websockets.sync.client import ClientConnection, connect

from core.models import AuditLog, Role
from core.tests.factories import DEFAULT_PASSWORD, make_tree, make_user_with_role
from streaming.models import LiveEvent
from streaming.tests.factories import make_world
from tests.support import (
    HTTP_TIMEOUT,
    REPO_ROOT,
    RUN_CHANNEL_PREFIX,
    STARTUP_TIMEOUT,
    WS_TIMEOUT,
    DaphneProcess,
    GunicornProcess,
    free_port,
    http_session,
    is_signed_in,
    live_db,
    login_attempt,
    random_loopback_ip,
    running_servers,
    subprocess_env,
    unique_name,
)

# One worker runs the whole module, so the four servers start once per run.
pytestmark = [pytest.mark.daphne, pytest.mark.redis, live_db, pytest.mark.xdist_group("proxy-nginx")]

SITE_FILE = REPO_ROOT / "deploy" / "nginx" / "dangjian.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_MISSING = f"nginx is not installed ({NGINX}): apt-get install nginx"
MB = 1024 * 1024
EDGE_413 = "发送的内容超过了本站接受的大小"  # nginx's own page (the site's says 请求过大 with its limit)
ACCEL_PREFIX = "/_protected/media/"  # the site file's internal location of MEDIA_ROOT
LOGIN_FAILURE_LIMIT = 2  # per account; the address allows SIGNIN_ADDRESS_FAILURE_FACTOR times as many


# --- TLS ------------------------------------------------------------------------------------------


@dataclass
class Tls:
    ca: Path
    certificate: Path
    key: Path


def make_tls(directory: Path) -> Tls:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it (clients trust the CA only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("dangjian test CA"))
        .issuer_name(name("dangjian test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tls = Tls(ca=directory / "ca.crt", certificate=directory / "site.crt", key=directory / "site.key")
    tls.ca.write_bytes(pem(ca))
    tls.certificate.write_bytes(pem(leaf))
    tls.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tls


# --- nginx with the repository's site file -----------------------------------------------------------


def render_site(*, pages: int, live: tuple[int, int], http: int, https: int, tls: Tls, logs: Path) -> str:
    """deploy/nginx/dangjian.conf with its ports, certificate and paths replaced, and nothing else."""
    text = SITE_FILE.read_text()
    media_root = str(Path(settings.MEDIA_ROOT).resolve())
    replacements = [
        # (as spelled in the file, how many times, the test's value)
        ("server 127.0.0.1:8000;", 1, f"server 127.0.0.1:{pages};"),
        ("server 127.0.0.1:8001;", 1, f"server 127.0.0.1:{live[0]};"),
        ("server 127.0.0.1:8002;", 1, f"server 127.0.0.1:{live[1]};"),
        ("listen 80;", 1, f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", 1, f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/nginx/ssl/dj.example.gov.cn.crt;", 1, f"{tls.certificate};"),
        ("/etc/nginx/ssl/dj.example.gov.cn.key;", 1, f"{tls.key};"),
        ("alias /srv/dangjian/var/media/$1;", 1, f"alias {media_root}/$1;"),
        ("alias /srv/dangjian/var/media/;", 1, f"alias {media_root}/;"),
        ("/var/log/nginx/dangjian.access.log", 2, str(logs / "access.log")),
    ]
    for spelled, times, value in replacements:
        found = text.count(spelled)
        assert found == times, f"{SITE_FILE.relative_to(REPO_ROOT)}: expected {spelled!r} {times}×, found {found}×"
        text = text.replace(spelled, value)
    return text


def main_config(prefix: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives the site file, with every path in `prefix`."""
    # As root the workers would switch to `nobody`, who cannot read the test's private directories.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log info;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        f"    access_log {prefix}/access.log;\n"
        f"    client_body_temp_path {prefix}/client_body;\n"
        f"    proxy_temp_path {prefix}/proxy;\n"
        f"    fastcgi_temp_path {prefix}/fastcgi;\n"
        f"    uwsgi_temp_path {prefix}/uwsgi;\n"
        f"    scgi_temp_path {prefix}/scgi;\n"
        f"    include {prefix}/dangjian.conf;\n"
        "}\n"
    )


class Nginx:
    """nginx in the foreground (its own process group), every file in a temporary directory."""

    def __init__(self, *, pages: GunicornProcess, live: tuple[DaphneProcess, DaphneProcess], tls: Tls) -> None:
        self.prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.backends = (pages, *live)
        self.pages, self.live, self.tls = pages, live, tls
        self.port = self.http_port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"wss://127.0.0.1:{self.port}{path}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.tls.ca))

    def session(self, source_ip: str | None = None):
        session = http_session(source_ip)
        session.verify = str(self.tls.ca)
        return session

    def spawn(self) -> None:
        self.port, self.http_port = free_port(), free_port()
        site = render_site(
            pages=self.pages.port,
            live=(self.live[0].port, self.live[1].port),
            http=self.http_port,
            https=self.port,
            tls=self.tls,
            logs=self.prefix,
        )
        (self.prefix / "dangjian.conf").write_text(site)
        (self.prefix / "nginx.conf").write_text(main_config(self.prefix))
        with open(self.prefix / "stderr.log", "wb") as out:
            self.proc = subprocess.Popen(
                [
                    NGINX,
                    "-p",
                    f"{self.prefix}/",
                    "-c",
                    str(self.prefix / "nginx.conf"),
                    "-e",
                    str(self.prefix / "error.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited with code {self.proc.returncode}{self.diagnostics()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise AssertionError(f"nginx did not listen within {timeout:.0f} s{self.diagnostics()}")

    def start(self, attempts: int = 3) -> None:
        for attempt in range(attempts):
            self.spawn()
            try:
                self.wait_ready()
                return
            except AssertionError:
                lost_port = "Address already in use" in self.log("error.log") + self.log("stderr.log")
                self.stop()
                if not lost_port or attempt == attempts - 1:
                    raise

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # fast shutdown, workers included
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # a worker left behind by its master

    def log(self, name: str, limit: int = 4000) -> str:
        try:
            return (self.prefix / name).read_text(errors="replace")[-limit:]
        except FileNotFoundError:
            return ""

    def diagnostics(self) -> str:
        state = "running" if self.proc and self.proc.poll() is None else f"exit {self.proc and self.proc.returncode}"
        text = f"\n--- nginx on port {self.port} ({state}), error.log:\n{self.log('error.log') or '(empty)'}"
        text += f"\n--- nginx access.log:\n{self.log('access.log', 2000) or '(empty)'}"
        return text + "".join(server.diagnostics() for server in self.backends)


@pytest.fixture(scope="module")
def proxy(live_database_url: str, redis_url: str) -> Iterator[Nginx]:
    if not Path(NGINX).exists():
        pytest.fail(NGINX_MISSING, pytrace=False)
    env = subprocess_env(
        DATABASE_URL=live_database_url,
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=RUN_CHANNEL_PREFIX,
        TRUSTED_PROXIES="127.0.0.1",  # where nginx connects from
        SECURE_SSL_REDIRECT="1",
        LOGIN_FAILURE_LIMIT=str(LOGIN_FAILURE_LIMIT),
        # Chat that arrives within WS_TIMEOUT came through the channel layer, not the hub's database poll.
        STREAMING_HUB_POLL_SECONDS="60",
        MEDIA_ACCEL_REDIRECT=ACCEL_PREFIX,  # private media are sent by nginx after the site's check
    )
    backends = (
        GunicornProcess(env, "gunicorn"),
        DaphneProcess(dict(env), "daphne-A"),
        DaphneProcess(dict(env), "daphne-B"),
    )
    with running_servers(*backends) as (pages, live_a, live_b):
        nginx = Nginx(pages=pages, live=(live_a, live_b), tls=make_tls(pages.log_dir))
        try:
            nginx.start()
            yield nginx
        finally:
            nginx.stop()
            shutil.rmtree(nginx.prefix, ignore_errors=True)


def sign_in_through(proxy: Nginx, user, *, source_ip: str | None = None, forged_for: str | None = None):
    session = proxy.session(source_ip)
    if forged_for:
        session.headers["X-Forwarded-For"] = forged_for
    response = login_attempt(proxy, session, user.username, DEFAULT_PASSWORD)
    assert response.status_code == 302 and is_signed_in(proxy, session), (
        f"sign-in of {user.username} through the proxy: {response.status_code}{proxy.diagnostics()}"
    )
    return session


# --- Pages, https, /healthz, media -------------------------------------------------------------------


def test_pages_healthz_and_media_through_the_proxy_over_https(proxy):
    session = proxy.session()
    health = session.get(f"{proxy.url}/healthz", timeout=HTTP_TIMEOUT)
    assert health.status_code == 200, f"{health.text}{proxy.diagnostics()}"
    assert health.json()["ok"] is True
    # The site believes the proxy's X-Forwarded-Proto: pages answer instead of redirecting to https.
    for path in ("/", "/accounts/login/", "/static/core/css/site.css"):
        response = session.get(f"{proxy.url}{path}", timeout=HTTP_TIMEOUT, allow_redirects=False)
        assert response.status_code == 200, f"GET {path} → {response.status_code}{proxy.diagnostics()}"
    # The cookies a sign-in depends on travel over https only.
    assert session.cookies.get("csrftoken") and all(cookie.secure for cookie in session.cookies)
    # Plain HTTP at the proxy only redirects to https.
    plain = http_session().get(
        f"http://127.0.0.1:{proxy.http_port}/news/?page=2", timeout=HTTP_TIMEOUT, allow_redirects=False
    )
    assert plain.status_code == 301 and plain.headers["Location"] == "https://127.0.0.1/news/?page=2"

    # Public media come from disk, private media only through the site.
    media = Path(settings.MEDIA_ROOT)
    name = f"proxy-{secrets.token_hex(4)}.txt"
    for folder in ("images", "documents"):
        (media / folder).mkdir(parents=True, exist_ok=True)
        (media / folder / name).write_text(f"{folder} 文件")
    public = session.get(f"{proxy.url}/media/images/{name}", timeout=HTTP_TIMEOUT)
    # Only nginx serves it: the site itself (DEBUG off) never serves /media/ by address.
    assert public.status_code == 200 and public.content.decode() == "images 文件", proxy.diagnostics()
    private = session.get(f"{proxy.url}/media/documents/{name}", timeout=HTTP_TIMEOUT)
    assert private.status_code == 404 and "documents 文件" not in private.text
    escaped = session.get(f"{proxy.url}/media/images/..%2Fdocuments/{name}", timeout=HTTP_TIMEOUT)
    assert "documents 文件" not in escaped.text


def test_lesson_media_are_checked_by_the_site_and_sent_by_nginx_with_byte_ranges(proxy):
    """MEDIA_ACCEL_REDIRECT: the site checks the signed address and names the file; nginx sends it from
    the internal location, with ranges. A forged address never reaches the file, nor does the location."""
    from learning.signing import media_url

    key = secrets.token_hex(16)
    folder = Path(settings.MEDIA_ROOT) / "learning" / "media" / key
    folder.mkdir(parents=True)
    audio = bytes(range(256)) * 64
    (folder / "audio.m4a").write_bytes(audio)
    session = proxy.session()
    url = f"{proxy.url}{media_url(key, 'audio.m4a')}"
    whole = session.get(url, timeout=HTTP_TIMEOUT)
    assert whole.status_code == 200 and whole.content == audio, f"{whole.status_code}{proxy.diagnostics()}"
    assert whole.headers["Content-Type"] == "audio/mp4" and whole.headers["Cache-Control"].startswith("private")
    assert whole.headers["X-Content-Type-Options"] == "nosniff" and "X-Accel-Redirect" not in whole.headers
    part = session.get(url, headers={"Range": "bytes=100-199"}, timeout=HTTP_TIMEOUT)
    assert part.status_code == 206 and part.content == audio[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(audio)}"
    # Sent by nginx's file module (its ETag and Last-Modified), not streamed by Python (neither).
    assert whole.headers.get("ETag") and whole.headers.get("Last-Modified"), whole.headers
    signature = url.split("/")[-2]
    forged = session.get(url.replace(signature, "0" * len(signature)), timeout=HTTP_TIMEOUT)
    assert forged.status_code == 404 and audio[:64] not in forged.content
    direct = session.get(f"{proxy.url}{ACCEL_PREFIX}learning/media/{key}/audio.m4a", timeout=HTTP_TIMEOUT)
    assert direct.status_code == 404 and audio[:64] not in direct.content


# --- The client's address -------------------------------------------------------------------------------


def test_the_audit_log_and_the_sign_in_throttle_see_the_client_not_the_proxy_nor_a_forged_address(proxy):
    grid = make_tree()["grid_a"]
    worker = make_user_with_role(Role.GRID_WORKER, area=grid)
    client = random_loopback_ip()
    session = sign_in_through(proxy, worker, source_ip=client, forged_for="203.0.113.9")
    response = session.get(f"{proxy.url}{reverse('governance:grid_detail', args=[grid.pk])}", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, proxy.diagnostics()
    entry = AuditLog.objects.get(actor=worker, action="governance.grid.view_residents")
    assert entry.ip == client

    # The sign-in throttle counts the same address.
    guesser, named = random_loopback_ip(), random_loopback_ip()
    # The guesser names another address in X-Forwarded-For; the proxy appends the guesser's own.
    session = proxy.session(guesser)
    session.headers["X-Forwarded-For"] = named
    allowed = LOGIN_FAILURE_LIMIT * settings.SIGNIN_ADDRESS_FAILURE_FACTOR
    for _ in range(allowed - 1):  # each under another name: no account reaches its own limit
        response = login_attempt(proxy, session, unique_name("guess"), "wrong")
        assert response.status_code == 200, f"{response.status_code}{proxy.diagnostics()}"
    # The failure that reaches the address's limit is answered with the lock, and so is the next.
    for _ in range(2):
        locked = login_attempt(proxy, session, unique_name("guess"), "wrong")
        assert locked.status_code == 429, f"the guesser's address was not locked{proxy.diagnostics()}"
    # The named address, and everyone else behind the same proxy, may still sign in.
    for source in (named, random_loopback_ip()):
        other = login_attempt(proxy, proxy.session(source), unique_name("someone"), "wrong")
        assert other.status_code == 200, f"{source} was locked out with the guesser{proxy.diagnostics()}"


# --- WebSockets to several Daphnes -----------------------------------------------------------------------


def live_socket(proxy: Nginx, session, event_id: int, query: str = "") -> ClientConnection:
    return connect(
        proxy.ws_url(f"/ws/live/{event_id}/{'?' + query if query else ''}"),
        origin=proxy.url,
        additional_headers={"Cookie": f"sessionid={session.cookies['sessionid']}"},
        ssl=proxy.ssl_context(),
        open_timeout=WS_TIMEOUT,
        close_timeout=5,
        proxy=None,
    )


def first_item(ws: ClientConnection, proxy: Nginx, kind: str, text: str | None = None) -> dict:
    """The first item of `kind` (with `text`, if given) to arrive (batches unpacked)."""
    deadline = time.monotonic() + WS_TIMEOUT
    while time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        for item in frame["items"] if frame["type"] == "batch" else [frame]:
            if item["type"] == kind and (text is None or item.get("text") == text):
                return item
    pytest.fail(f"no {kind} {text or ''} arrived within {WS_TIMEOUT} s{proxy.diagnostics()}")


def serving_daphne(proxy: Nginx, event_id: int, seen: dict[DaphneProcess, int]) -> DaphneProcess:
    """The Daphne that logged one more accepted socket for the event than `seen` says (and update it)."""
    needle = f"WSCONNECT /ws/live/{event_id}/"
    deadline = time.monotonic() + WS_TIMEOUT
    while time.monotonic() < deadline:
        for server in proxy.live:
            count = server.stderr(limit=10**7).count(needle)
            if count > seen.get(server, 0):
                seen[server] = count
                return server
        time.sleep(0.05)
    pytest.fail(f"no Daphne logged the socket{proxy.diagnostics()}")


def test_chat_through_the_proxy_reaches_a_socket_on_the_other_daphne(proxy):
    world = make_world(state=LiveEvent.State.LIVE)
    operator = sign_in_through(proxy, world.operator_a)
    host = sign_in_through(proxy, world.organiser)
    event_id, seen = world.event.pk, {}

    with contextlib.ExitStack() as sockets:
        console = sockets.enter_context(live_socket(proxy, host, event_id))
        first_item(console, proxy, "snapshot")
        console_on = serving_daphne(proxy, event_id, seen)
        # nginx takes turns between the Daphnes; open the venue's screen until it lands on the other one.
        for _ in range(6):
            screen = sockets.enter_context(live_socket(proxy, operator, event_id, f"venue={world.venue_a.pk}"))
            first_item(screen, proxy, "snapshot")
            if serving_daphne(proxy, event_id, seen) is not console_on:
                break
        else:
            pytest.fail(f"six sockets in a row went to {console_on.name}{proxy.diagnostics()}")

        # Both ways: the venue's screen to the host's console, and back.
        screen.send(json.dumps({"type": "chat", "text": "经代理发到另一进程", "ref": 1}))
        chat = first_item(console, proxy, "chat", "经代理发到另一进程")
        assert chat["author"] == world.venue_a.name
        console.send(json.dumps({"type": "chat", "text": "主会场收到"}))
        first_item(screen, proxy, "chat", "主会场收到")


# --- Bodies over the limit ------------------------------------------------------------------------------


def edge_answer(proxy: Nginx, path: str, length: int) -> bytes:
    """What nginx answers to a POST that announces `length` bytes and waits before sending any."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    answer = b""
    with (
        socket.create_connection(("127.0.0.1", proxy.port), timeout=HTTP_TIMEOUT) as raw,
        proxy.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(head)
        with contextlib.suppress(ConnectionError, TimeoutError, ssl.SSLError):
            while not (answer.startswith(b"HTTP/1.1 100") and b"\r\n\r\n" in answer) and b"</html>" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
    return answer


def test_a_body_over_the_limit_is_refused_at_the_edge_before_it_is_sent(proxy):
    # 64m (REQUEST_BODY_MAX_MB) everywhere: refused on the headers alone, in Chinese.
    answer = edge_answer(proxy, "/accounts/login/", 65 * MB)
    assert answer.startswith(b"HTTP/1.1 413"), f"{answer[:300]!r}{proxy.diagnostics()}"
    assert EDGE_413 in answer.decode(errors="replace")
    # The admin takes lesson media up to 4096m: nginx asks for the body (and the site then judges the person) …
    assert edge_answer(proxy, "/admin/media/", 65 * MB).startswith(b"HTTP/1.1 100"), proxy.diagnostics()
    # … but not more.
    assert edge_answer(proxy, "/admin/media/", 4097 * MB).startswith(b"HTTP/1.1 413")
