"""Encryption at rest and keyed hashes (gridgov.common.crypto) and the encrypted model field, on SQLite and
PostgreSQL: values round-trip, every token is different, tampering is detected, old keys still decrypt, hashes are
stable and keyed, and production refuses to run without real keys."""

import base64
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection

from gridgov.common import crypto
from gridgov.common.crypto import DecryptionError, decrypt, encrypt, keyed_hash
from gridgov.common.fields import EncryptedTextField

KEY_1, KEY_2, HASH_1, HASH_2 = (crypto.generate_key() for _ in range(4))
ROOT = Path(__file__).resolve().parents[3]


def flip(token: str, index: int) -> str:
    """The token with one bit of byte ``index`` of its binary part flipped (negative: from the end)."""
    head, body = token.rsplit(":", 1)
    blob = bytearray(base64.urlsafe_b64decode(body))
    blob[index] ^= 0x01
    return f"{head}:{base64.urlsafe_b64encode(bytes(blob)).decode()}"


@pytest.fixture
def keys(settings):
    settings.GRIDGOV_DATA_KEY, settings.GRIDGOV_DATA_KEYS_OLD, settings.GRIDGOV_HASH_KEY = KEY_1, [], HASH_1
    return settings


@pytest.mark.parametrize("text", ["13912345678", "110101199003071234", "张三 · 幸福路 8 号", "", "x" * 10_000])
def test_round_trip(keys, text):
    token = encrypt(text)
    assert token.startswith(f"v1:{crypto.key_id(base64.urlsafe_b64decode(KEY_1))}:")
    assert text not in token or text == ""
    assert decrypt(token) == text


def test_every_token_is_different(keys):
    tokens = {encrypt("13912345678") for _ in range(50)}
    assert len(tokens) == 50  # a fresh nonce each time: equal values cannot be spotted in the table
    nonces = {base64.urlsafe_b64decode(t.rsplit(":", 1)[1])[:crypto.NONCE_BYTES] for t in tokens}
    assert len(nonces) == 50
    assert {decrypt(t) for t in tokens} == {"13912345678"}


@pytest.mark.parametrize("index", [0, 11, 12, 14, -1, -16])  # nonce, first ciphertext bytes, tag
def test_a_flipped_byte_is_detected(keys, index):
    token = encrypt("110101199003071234")
    with pytest.raises(DecryptionError):
        decrypt(flip(token, index))


def test_altered_truncated_or_foreign_tokens_are_refused(keys):
    token = encrypt("secret")
    version, kid, body = token.split(":")
    relabelled = f"{version}:{crypto.key_id(b'k' * 32)}:{body}"
    for bad in [token[:-8], f"{version}:{kid}:", f"{version}:{kid}:***", "plain text", f"v2:{kid}:{body}",
                relabelled, f"{version}:{kid}:{base64.urlsafe_b64encode(b'x' * 40).decode()}"]:
        with pytest.raises(DecryptionError):
            decrypt(bad)
    keys.GRIDGOV_DATA_KEY = KEY_2  # a token sealed under a key this process does not have
    with pytest.raises(DecryptionError, match="GRIDGOV_DATA_KEYS_OLD"):
        decrypt(token)


def test_an_old_key_still_decrypts_after_a_rotation(keys):
    before = encrypt("13912345678")
    keys.GRIDGOV_DATA_KEY, keys.GRIDGOV_DATA_KEYS_OLD = KEY_2, [KEY_1]
    assert decrypt(before) == "13912345678"
    after = encrypt("13912345678")
    assert after.split(":")[1] != before.split(":")[1]  # new values name the new key
    assert not crypto.is_current(before) and crypto.is_current(after)
    moved = crypto.reencrypt(before)
    assert crypto.is_current(moved) and decrypt(moved) == "13912345678"
    assert crypto.reencrypt(moved) == moved
    keys.GRIDGOV_DATA_KEYS_OLD = []  # the old key dropped: what was not moved is unreadable, what was moved reads
    with pytest.raises(DecryptionError):
        decrypt(before)
    assert decrypt(moved) == "13912345678"


def test_keyed_hash_is_stable_and_depends_on_key_and_purpose(keys):
    value = keyed_hash("110101199003071234", "registry.id_number")
    assert len(value) == 64 and int(value, 16) >= 0
    assert keyed_hash("110101199003071234", "registry.id_number") == value
    assert keyed_hash("110101199003071235", "registry.id_number") != value
    assert keyed_hash("110101199003071234", "registry.phone") != value
    keys.GRIDGOV_DATA_KEY = KEY_2  # rotating the data key leaves hashes alone
    assert keyed_hash("110101199003071234", "registry.id_number") == value
    keys.GRIDGOV_HASH_KEY = HASH_2
    assert keyed_hash("110101199003071234", "registry.id_number") != value
    with pytest.raises(ValueError):
        keyed_hash("x", "")


def test_development_keys_come_from_the_secret_key(settings):
    settings.GRIDGOV_PRODUCTION, settings.GRIDGOV_DATA_KEY, settings.GRIDGOV_HASH_KEY = False, "", ""
    settings.SECRET_KEY = "one development secret key, long enough to be realistic 0123456789"
    token, digest = encrypt("13912345678"), keyed_hash("13912345678", "phone")
    assert decrypt(token) == "13912345678" and keyed_hash("13912345678", "phone") == digest  # deterministic
    settings.SECRET_KEY = "another development secret key, long enough to be realistic 0123456789"
    assert keyed_hash("13912345678", "phone") != digest
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_production_without_keys_refuses(settings):
    settings.GRIDGOV_PRODUCTION = True
    settings.GRIDGOV_DATA_KEY, settings.GRIDGOV_HASH_KEY = "", HASH_1
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_DATA_KEY"):
        encrypt("x")
    settings.GRIDGOV_DATA_KEY, settings.GRIDGOV_HASH_KEY = KEY_1, ""
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_HASH_KEY"):
        keyed_hash("x", "p")
    assert [e.id for e in crypto.check_keys()] == ["gridgov.crypto.E001"]
    settings.GRIDGOV_HASH_KEY = HASH_1
    assert decrypt(encrypt("x")) == "x" and crypto.check_keys() == []


def test_malformed_or_equal_keys_are_refused_without_repeating_them(keys):
    for bad in ["too-short", KEY_1[:-4], "!" * 44, base64.urlsafe_b64encode(b"k" * 31).decode()]:
        keys.GRIDGOV_DATA_KEY = bad
        with pytest.raises(ImproperlyConfigured) as refused:
            encrypt("x")
        assert bad not in str(refused.value) and "44 characters" in str(refused.value)
    keys.GRIDGOV_DATA_KEY, keys.GRIDGOV_DATA_KEYS_OLD = KEY_1, ["nonsense"]
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_DATA_KEYS_OLD"):
        decrypt(encrypt("x"))
    keys.GRIDGOV_DATA_KEYS_OLD, keys.GRIDGOV_HASH_KEY = [], KEY_1
    with pytest.raises(ImproperlyConfigured, match="different"):
        encrypt("x")
    keys.GRIDGOV_HASH_KEY = HASH_1
    assert decrypt(encrypt("x")) == "x"
    keys.GRIDGOV_DATA_KEY = KEY_1.rstrip("=")  # padding is optional
    assert decrypt(encrypt("x")) == "x"


def _settings_in_a_fresh_process(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDGOV_", "DJANGO_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GRIDGOV_VAR_DIR": os.environ.get(
        "GRIDGOV_VAR_DIR", str(ROOT / "var")), **env})
    code = ("import django; django.setup(); from gridgov.common import crypto; "
            "print(crypto.decrypt(crypto.encrypt('ok')), crypto.keyed_hash('a', 'b'))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)


def test_production_settings_refuse_to_start_without_keys_and_read_key_files(tmp_path):
    production = {"GRIDGOV_PRODUCTION": "1", "DJANGO_SECRET_KEY": "a-real-production-secret-" + "x" * 40}
    refused = _settings_in_a_fresh_process({**production, "GRIDGOV_HASH_KEY": HASH_1})
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "GRIDGOV_DATA_KEY" in refused.stderr
    (tmp_path / "data.key").write_text(KEY_1 + "\n")
    (tmp_path / "hash.key").write_text(HASH_1 + "\n")
    started = _settings_in_a_fresh_process({**production, "GRIDGOV_DATA_KEY_FILE": str(tmp_path / "data.key"),
                                            "GRIDGOV_HASH_KEY_FILE": str(tmp_path / "hash.key")})
    assert started.returncode == 0, started.stderr
    with_env = _settings_in_a_fresh_process({**production, "GRIDGOV_DATA_KEY": KEY_1, "GRIDGOV_HASH_KEY": HASH_1})
    assert started.stdout.split()[0] == "ok" and started.stdout == with_env.stdout  # the same keys, either way


# --- the model field, on the 12345 client's secret ------------------------------------------------------------------
def raw_secret(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM events_hotlineclient WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_field_stores_a_token_and_loads_the_text(keys):
    from gridgov.events.models import HotlineClient

    client = HotlineClient.objects.create(name="区12345热线", client_id="hotline-x", secret="s3cret-" + "0" * 30)
    stored = raw_secret(client.pk)
    assert stored.startswith("v1:") and "s3cret" not in stored and decrypt(stored) == "s3cret-" + "0" * 30
    assert HotlineClient.objects.get(pk=client.pk).secret == "s3cret-" + "0" * 30
    assert HotlineClient.objects.values_list("secret", flat=True).get(pk=client.pk) == "s3cret-" + "0" * 30
    client.name = "改名"
    client.save()
    assert raw_secret(client.pk) != stored  # sealed afresh on every save
    HotlineClient.objects.filter(pk=client.pk).update(secret="")
    assert raw_secret(client.pk) == "" and HotlineClient.objects.get(pk=client.pk).secret == ""
    field = EncryptedTextField()
    assert field.get_prep_value(None) is None and field.from_db_value(None, None, connection) is None
    assert field.get_prep_value("") == "" and field.from_db_value("", None, connection) == ""


@pytest.mark.django_db
def test_the_field_refuses_lookups_that_could_never_match(keys):
    from gridgov.events.models import HotlineClient

    HotlineClient.objects.create(name="a", client_id="hotline-a", secret="s" * 40)
    with pytest.raises(FieldError):
        HotlineClient.objects.filter(secret="s" * 40).count()
    with pytest.raises(FieldError):
        HotlineClient.objects.filter(secret__startswith="s").count()
    assert HotlineClient.objects.filter(client_id="hotline-a", secret__isnull=False).count() == 1


@pytest.mark.django_db
def test_a_tampered_column_fails_loudly_on_load(keys):
    from gridgov.events.models import HotlineClient

    client = HotlineClient.objects.create(name="a", client_id="hotline-a", secret="s" * 40)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE events_hotlineclient SET secret = %s WHERE id = %s",
                       [flip(raw_secret(client.pk), -1), client.pk])
    with pytest.raises(DecryptionError):
        HotlineClient.objects.get(pk=client.pk)


@pytest.mark.django_db
def test_the_data_migration_seals_clear_secrets_once_and_reverses(keys):
    from gridgov.events.models import HotlineClient

    migration = importlib.import_module("gridgov.events.migrations.0004_hotline_secret_encrypted")
    editor = type("Editor", (), {"connection": connection})()
    a = HotlineClient.objects.create(name="a", client_id="hotline-a", secret="x")
    b = HotlineClient.objects.create(name="b", client_id="hotline-b", secret="x")
    with connection.cursor() as cursor:  # as rows were before the migration: the secret in clear
        cursor.execute("UPDATE events_hotlineclient SET secret = %s WHERE id = %s", ["clear-secret-" + "a" * 30, a.pk])
        cursor.execute("UPDATE events_hotlineclient SET secret = %s WHERE id = %s", ["", b.pk])
    migration.encrypt_secrets(None, editor)
    sealed = raw_secret(a.pk)
    assert sealed.startswith("v1:") and HotlineClient.objects.get(pk=a.pk).secret == "clear-secret-" + "a" * 30
    assert raw_secret(b.pk) == ""
    migration.encrypt_secrets(None, editor)  # running it again seals nothing twice
    assert raw_secret(a.pk) == sealed
    migration.decrypt_secrets(None, editor)
    assert raw_secret(a.pk) == "clear-secret-" + "a" * 30 and raw_secret(b.pk) == ""
