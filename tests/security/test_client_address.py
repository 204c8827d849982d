"""The client's address: direct, through trusted proxies, and with a forged X-Forwarded-For."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.env import ConfigError, env_networks
from core.client_address import client_address, client_address_from_scope
from core.models import AuditLog
from core.services.audit import audit_record


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_direct_client_is_the_peer_and_its_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("198.51.100.7")) == "198.51.100.7"
    assert client_address(request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_a_header_is_ignored_unless_the_peer_is_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5/32"]
    assert client_address(request("198.51.100.7", "203.0.113.9, 10.0.0.5")) == "198.51.100.7"


def test_one_trusted_proxy_gives_the_address_it_saw(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request("10.0.0.5", "203.0.113.9")) == "203.0.113.9"
    # Whatever the client wrote before the proxy's entry is not believed.
    assert client_address(request("10.0.0.5", "1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    assert client_address(request("10.0.0.5", "[2001:db8::1]:4431")) == "2001:db8::1"
    # A proxy that sent no header: the proxy is all we know.
    assert client_address(request("10.0.0.5")) == "10.0.0.5"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "172.16.0.9"]
    assert client_address(request("10.0.0.5", "8.8.8.8, 203.0.113.9, 172.16.0.9, 10.0.0.7")) == "203.0.113.9"
    # Garbage in the chain stops the walk at the last hop a trusted proxy vouched for.
    assert client_address(request("10.0.0.5", "203.0.113.9, not-an-ip, 10.0.0.7")) == "10.0.0.7"


def test_websocket_scope_uses_the_same_rule(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    scope = {"client": ["127.0.0.1", 5555], "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert client_address_from_scope(scope) == "203.0.113.9"
    forged = {"client": ["198.51.100.7", 5555], "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert client_address_from_scope(forged) == "198.51.100.7"


def test_audit_log_records_the_resolved_address(db, settings):
    settings.TRUSTED_PROXIES = []
    entry = audit_record(actor=None, action="test.look", request=request("198.51.100.7", "203.0.113.9"))
    assert AuditLog.objects.get(pk=entry.pk).ip == "198.51.100.7"


def test_a_bad_trusted_proxy_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, proxy.example")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES: 'proxy.example'"):
        env_networks("TRUSTED_PROXIES")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16")
    assert env_networks("TRUSTED_PROXIES") == ["10.0.0.1/32", "10.1.0.0/16"]


def test_the_audit_log_and_the_admin_list_mask_people(db, admin_client):
    from core.services.audit import audit_label
    from core.tests.factories import UserFactory

    person = UserFactory(name="欧阳建国", mobile="13912345678")
    assert audit_label(person) == "欧**国"
    page = admin_client.get("/django-admin/core/user/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
