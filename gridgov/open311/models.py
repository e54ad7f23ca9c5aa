"""Open311 clients: third-party applications that file cases through the GeoReport v2 interface with an api_key.

Only the SHA-256 of a key is stored; the key itself is shown once, when the client is created.
"""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Open311Client(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def new_key(self) -> str:
        """Give the client a fresh random key (replacing any old one) and return it: it cannot be read back later."""
        key = secrets.token_urlsafe(32)
        self.key_hash = hash_key(key)
        return key

    @classmethod
    def issue(cls, name: str) -> tuple["Open311Client", str]:
        client = cls(name=name)
        key = client.new_key()
        client.save()
        return client, key

    @classmethod
    def authenticate(cls, key: str | None) -> "Open311Client | None":
        if not key:
            return None
        return cls.objects.filter(key_hash=hash_key(key), is_active=True).first()
