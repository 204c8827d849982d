"""Encryption at rest: the ID number never appears in the database file, the pages or the JSON."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from core.crypto import DecryptionError, blind_index, decrypt_text, encrypt_text
from core.models import AuditLog, Role
from core.tests.factories import DEFAULT_PASSWORD, make_tree, make_user_with_role
from governance.models import Resident
from governance.tests.factories import household_of, make_building, make_resident

ID_NUMBER = "210681195203140027"
PHONE = "13904156789"


def test_values_round_trip_and_never_look_alike():
    a, b = encrypt_text(ID_NUMBER), encrypt_text(ID_NUMBER)
    assert a != b and ID_NUMBER not in a
    assert decrypt_text(a) == decrypt_text(b) == ID_NUMBER


def test_blind_index_is_keyed_and_separated_by_purpose():
    assert blind_index(ID_NUMBER, purpose="x") == blind_index(ID_NUMBER, purpose="x")
    assert blind_index(ID_NUMBER, purpose="x") != blind_index(ID_NUMBER, purpose="y")
    import hashlib

    assert blind_index(ID_NUMBER, purpose="x") != hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    other_key = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktISE="
    token = encrypt_text(ID_NUMBER)
    ours = blind_index(ID_NUMBER, purpose="x")
    with override_settings(FIELD_ENCRYPTION_KEY=other_key):
        # Another key, another index and no decryption: the database alone reveals nothing.
        assert blind_index(ID_NUMBER, purpose="x") != ours
        with pytest.raises(DecryptionError) as info:
            decrypt_text(token)
        assert token not in str(info.value)


def _database_bytes() -> bytes:
    name = connection.settings_dict["NAME"]
    data = b""
    for suffix in ("", "-wal", "-journal"):
        path = Path(f"{name}{suffix}")
        if path.exists():
            data += path.read_bytes()
    return data


@pytest.mark.django_db(transaction=True)
def test_id_and_phone_numbers_are_not_in_the_database_file(client):
    if connection.vendor != "sqlite":
        # PostgreSQL: read the stored column as text instead of the file.
        pytest.skip("reads the SQLite file; the PostgreSQL variant is test_raw_column_is_ciphertext")
    tree = make_tree()
    household = household_of(make_building(tree["grid_a"]), "1-101")
    resident = make_resident(household, phone=PHONE, id_number=ID_NUMBER, name="王秀兰")
    connection.close()  # checkpoint nothing in memory: the bytes are on disk
    data = _database_bytes()
    assert data, "the test database file was not found"
    assert "王秀兰".encode() in data  # the file is the right one: the name is stored as text
    for needle in (ID_NUMBER, PHONE, ID_NUMBER[:6] + ID_NUMBER[10:]):
        assert needle.encode() not in data
        assert needle.encode("utf-16-le") not in data
    assert Resident.objects.get(pk=resident.pk).id_number == ID_NUMBER


@pytest.mark.django_db
def test_raw_column_is_ciphertext(tree):
    household = household_of(make_building(tree["grid_a"]), "1-101")
    resident = make_resident(household, phone=PHONE, id_number=ID_NUMBER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash FROM governance_resident WHERE id = %s", [resident.pk])
        raw_id, raw_phone, raw_hash = cursor.fetchone()
    assert ID_NUMBER not in raw_id and PHONE not in raw_phone and ID_NUMBER not in raw_hash
    assert decrypt_text(raw_id) == ID_NUMBER


@pytest.mark.django_db
def test_pages_logs_and_audit_never_carry_the_id_number(client, tree, caplog):
    household = household_of(make_building(tree["grid_a"]), "1-101")
    resident = make_resident(household, phone=PHONE, id_number=ID_NUMBER)
    worker = make_user_with_role(Role.GRID_WORKER, area=tree["grid_a"])
    assert client.login(username=worker.username, password=DEFAULT_PASSWORD)
    pages = [
        reverse("governance:grid_detail", args=[tree["grid_a"].pk]),
        reverse("governance:resident_detail", args=[resident.pk]),
        reverse("governance:resident_edit", args=[resident.pk]),
        reverse("governance:household_detail", args=[household.pk]),
        reverse("governance:building_detail", args=[household.building_id]),
    ]
    with caplog.at_level("DEBUG"):
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert ID_NUMBER not in body and PHONE not in body, url
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text
    for log in AuditLog.objects.all():
        assert ID_NUMBER not in str(log.detail) and ID_NUMBER not in log.object_repr
    assert settings.FIELD_ENCRYPTION_KEY not in caplog.text
