"""Model fields shared by the apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.common.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (gridgov.common.crypto): the column holds a ``v1:<key id>:…`` token, Python code sees
    the text. ``None`` and ``""`` are stored as they are.

    Every save seals the value afresh (a new nonce), so the column cannot be searched or compared in SQL: only
    ``__isnull`` lookups are allowed, and any other lookup is refused rather than silently matching nothing. For
    exact-match search store ``crypto.keyed_hash(value, purpose)`` in an indexed column next to it. A value that
    does not decrypt (altered, or its key is missing from the settings) raises ``crypto.DecryptionError`` on load.
    ``dumpdata`` writes the text in clear (and ``loaddata`` seals it again): protect such dumps like the keys.
    """

    description = _("Encrypted text")

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None
