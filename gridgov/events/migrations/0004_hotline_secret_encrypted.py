"""12345 client secrets encrypted at rest (gridgov.common.crypto): the column becomes text holding a
``v1:<key id>:…`` token, and the secrets already stored in clear are sealed. Reversible: going back decrypts them.

The rows are read and written with plain SQL, so neither the old nor the new field class gets between the migration
and the raw values.
"""

from django.db import migrations

import gridgov.common.fields
from gridgov.common import crypto

TABLE = "events_hotlineclient"


def _rows(connection):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret FROM {TABLE}")
        return cursor.fetchall()


def _write(connection, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET secret = %s WHERE id = %s", [value, pk])


def _sealed(value: str) -> bool:
    try:
        crypto.decrypt(value)
    except crypto.DecryptionError:
        return False
    return True


def encrypt_secrets(apps, schema_editor):
    connection = schema_editor.connection
    for pk, secret in _rows(connection):
        if secret and not _sealed(secret):  # re-running after a partial run seals nothing twice
            _write(connection, pk, crypto.encrypt(secret))


def decrypt_secrets(apps, schema_editor):
    connection = schema_editor.connection
    for pk, secret in _rows(connection):
        if secret and _sealed(secret):
            _write(connection, pk, crypto.decrypt(secret))


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0003_citizen_token"),
    ]

    operations = [
        migrations.AlterField(
            model_name="hotlineclient",
            name="secret",
            field=gridgov.common.fields.EncryptedTextField(
                help_text="Used to sign pushes and callbacks (HMAC-SHA256); at least 32 characters.",
                verbose_name="shared secret"),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
