"""Reading settings from the environment: good values parse, bad ones name their variable."""

import pytest

from config import env
from config.env import ConfigError


def test_no_environment_means_embedded_sqlite(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.database_config(tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "var" / "db.sqlite3")


def test_postgres_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://dj:pw@db.internal:5433/dangjian")
    config = env.database_config(tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["PASSWORD"]) == (
        "db.internal",
        5433,
        "dangjian",
        "pw",
    )


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres://u@h:5432", "nonsense"])
def test_bad_database_url_names_variable_and_hides_password(monkeypatch, tmp_path, url):
    monkeypatch.setenv("DATABASE_URL", url.replace("u@", "u:topsecret@"))
    with pytest.raises(ConfigError) as info:
        env.database_config(tmp_path)
    assert str(info.value).startswith("DATABASE_URL=")
    assert "topsecret" not in str(info.value)


@pytest.mark.parametrize("url", ["localhost:6379", "http://x", "redis://", "redis://h:notaport/0"])
def test_bad_redis_url(monkeypatch, url):
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(ConfigError, match="^REDIS_URL="):
        env.redis_url()


def test_redis_url_unset_or_valid(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert env.redis_url() is None
    monkeypatch.setenv("REDIS_URL", "redis://:pw@127.0.0.1:6379/2")
    assert env.redis_url() == "redis://:pw@127.0.0.1:6379/2"


def test_mask_url():
    assert env.mask_url("postgres://me:s3cret@h/db") == "postgres://me:***@h/db"
    assert env.mask_url("redis://h:6379/0") == "redis://h:6379/0"


@pytest.mark.parametrize("raw,expected", [("1", True), ("yes", True), ("off", False), ("", True)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("DEBUG", raw)
    assert env.env_bool("DEBUG", True) is expected


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ConfigError, match="^DEBUG="):
        env.env_bool("DEBUG", False)


def test_healthz_reports_every_part(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "push", "tasks", "ffmpeg", "live_writes"}
    assert body["checks"]["ffmpeg"]["status"] in {"found", "missing", "broken"}
    assert body["checks"]["database"]["ok"] and body["checks"]["channel_layer"]["ok"]


def test_dead_redis_cache_degrades_health_not_the_site(client, db, settings):
    from core.tests.factories import DEFAULT_PASSWORD, UserFactory

    settings.CACHES = {  # Django's setting_changed handler rebuilds the cache handler
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True
    # Pages, Wagtail's site lookup and the login throttle keep working without the cache.
    assert client.get("/").status_code == 200
    user = UserFactory()
    assert client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD}).status_code == 302
