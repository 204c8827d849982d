from core.models import Role
from core.tests.factories import make_user_with_role


def test_openapi_schema_is_served(client, db):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/me" in schema["paths"]


def test_me_anonymous_and_signed_in(client, tree):
    assert client.get("/api/me").json() == {
        "authenticated": False,
        "username": None,
        "name": None,
        "roles": [],
        "unread_notifications": 0,
    }
    user = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    client.force_login(user)
    body = client.get("/api/me").json()
    assert body["authenticated"] and body["username"] == user.username
    assert body["roles"] == [{"role": "grid_worker", "label": "网格员", "scope": "甲村第一网格"}]
