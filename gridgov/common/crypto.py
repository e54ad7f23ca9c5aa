"""Encryption at rest and keyed hashes: the one place that holds the platform's data keys.

* ``encrypt(text)`` → ``"v1:<key id>:<urlsafe base64 of nonce | ciphertext | tag>"``: AES-256-GCM with a fresh
  random 96-bit nonce each time (the same text never gives the same token), and the ``v1:<key id>`` prefix bound in
  as associated data, so a token cannot be relabelled. The key id is the first 8 hex digits of a SHA-256 over the
  key: it says which key sealed a value without revealing anything about the key.
* ``decrypt(token)`` → text, with the current key or any old one (``GRIDGOV_DATA_KEYS_OLD``) whose id the token
  names, so rows written before a key rotation stay readable; ``reencrypt`` moves a token to the current key.
  A tampered, truncated or foreign token raises ``DecryptionError``: GCM authenticates every byte.
* ``keyed_hash(text, purpose)`` → 64 hex digits, HMAC-SHA256 under a separate key (``GRIDGOV_HASH_KEY``) over
  ``purpose + NUL + text``: stored next to an encrypted column, it finds rows by exact value (an ID number, a phone)
  without decrypting anything, and is useless to anyone without the key. Normalise before hashing (strip, upper-case
  the X of an ID number); ``purpose`` keeps hashes of different columns apart. The hash key cannot be rotated without
  re-hashing every row, so keep it.

Keys are 32 random bytes in urlsafe base64 (``generate_key()``), from ``settings.GRIDGOV_DATA_KEY`` /
``GRIDGOV_HASH_KEY`` (environment or ``*_FILE``). In development, when unset, each is derived from ``SECRET_KEY`` with
HKDF-SHA256 (distinct labels), so ``make run`` needs nothing; with ``GRIDGOV_PRODUCTION`` both are required
(config/settings.py refuses to start, and so does this module). The model field is
``gridgov.common.fields.EncryptedTextField``. See docs/configuration.md ("Encryption keys").
"""

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_DATA_LABEL = b"gridgov data key v1"
_HASH_LABEL = b"gridgov hash key v1"


class DecryptionError(ValueError):
    """A value that cannot be decrypted: altered, truncated, not a token, or sealed with a key this process lacks."""


def generate_key() -> str:
    """A new random key for GRIDGOV_DATA_KEY or GRIDGOV_HASH_KEY (44 characters of urlsafe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_key(value: str, *, name: str) -> bytes:
    """The 32 bytes of a key given in urlsafe base64 (padding optional); ImproperlyConfigured otherwise. The message
    never repeats the value: it is a secret."""
    raw = value.strip()
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{name} must be {KEY_BYTES} random bytes in urlsafe base64 (44 characters); make one with "
            "python -c \"from gridgov.common.crypto import generate_key; print(generate_key())\"")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"gridgov key id\0" + key).hexdigest()[:8]


def _derive(secret_key: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(secret_key.encode())


@dataclass(frozen=True)
class _Keyring:
    current_id: str
    current: AESGCM
    by_id: dict[str, tuple[AESGCM, ...]]
    hash_key: bytes


@functools.lru_cache(maxsize=8)
def _build(production: bool, data_key: str, old_keys: tuple[str, ...], hash_key: str, secret_key: str) -> _Keyring:
    missing = [name for name, value in (("GRIDGOV_DATA_KEY", data_key), ("GRIDGOV_HASH_KEY", hash_key)) if not value]
    if production and missing:
        raise ImproperlyConfigured(f"GRIDGOV_PRODUCTION is set: {' and '.join(missing)} (or the _FILE variant) "
                                   "required; see docs/configuration.md")
    data = parse_key(data_key, name="GRIDGOV_DATA_KEY") if data_key else _derive(secret_key, _DATA_LABEL)
    hashing = parse_key(hash_key, name="GRIDGOV_HASH_KEY") if hash_key else _derive(secret_key, _HASH_LABEL)
    if hmac.compare_digest(data, hashing):
        raise ImproperlyConfigured("GRIDGOV_DATA_KEY and GRIDGOV_HASH_KEY must be two different keys")
    by_id: dict[str, list[AESGCM]] = {}
    for key in [data, *(parse_key(old, name="GRIDGOV_DATA_KEYS_OLD") for old in old_keys)]:
        by_id.setdefault(key_id(key), []).append(AESGCM(key))
    return _Keyring(current_id=key_id(data), current=AESGCM(data),
                    by_id={kid: tuple(ciphers) for kid, ciphers in by_id.items()}, hash_key=hashing)


def _keyring() -> _Keyring:
    """The keys for the current settings (cached per value, so tests that override settings see their keys)."""
    return _build(bool(getattr(settings, "GRIDGOV_PRODUCTION", False)), getattr(settings, "GRIDGOV_DATA_KEY", "") or "",
                  tuple(getattr(settings, "GRIDGOV_DATA_KEYS_OLD", ()) or ()),
                  getattr(settings, "GRIDGOV_HASH_KEY", "") or "", settings.SECRET_KEY)


def encrypt(text: str) -> str:
    """Seal ``text`` under the current data key: ``v1:<key id>:<base64>``, different every time."""
    if not isinstance(text, str):
        raise TypeError(f"encrypt() takes text, not {type(text).__name__}")
    ring = _keyring()
    header = f"{VERSION}:{ring.current_id}"
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.current.encrypt(nonce, text.encode("utf-8"), header.encode())
    return f"{header}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _split(token: str) -> tuple[str, str, bytes]:
    parts = token.split(":", 2) if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("not an encrypted value (expected v1:<key id>:<data>)")
    try:
        blob = base64.b64decode(parts[2], altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("the encrypted value is malformed (bad base64)") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("the encrypted value is truncated")
    return parts[0], parts[1], blob


def decrypt(token: str) -> str:
    """The text sealed in ``token``; DecryptionError if it was altered or no configured key has its key id."""
    version, kid, blob = _split(token)
    ciphers = _keyring().by_id.get(kid)
    if not ciphers:
        raise DecryptionError(f"no configured key has the id {kid[:16]!r}: is a key missing from GRIDGOV_DATA_KEY "
                              "or GRIDGOV_DATA_KEYS_OLD?")
    for cipher in ciphers:  # normally one; two only if two keys' 32-bit ids collide
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], f"{version}:{kid}".encode()).decode("utf-8")
        except InvalidTag:
            continue
    raise DecryptionError("the encrypted value was altered or was not sealed with this key")


def is_current(token: str) -> bool:
    """True if ``token`` is sealed with the current data key (nothing to do after a rotation)."""
    return isinstance(token, str) and token.startswith(f"{VERSION}:{_keyring().current_id}:")


def reencrypt(token: str) -> str:
    """``token`` moved to the current data key (unchanged if it already is): after a rotation, re-save every
    encrypted value with this, then drop the old key from GRIDGOV_DATA_KEYS_OLD."""
    return token if is_current(token) else encrypt(decrypt(token))


def keyed_hash(text: str, purpose: str) -> str:
    """Hex HMAC-SHA256 of ``text`` for ``purpose`` (e.g. ``"registry.id_number"``) under GRIDGOV_HASH_KEY: equal
    texts give equal hashes for one purpose, unrelated hashes for another purpose or another key."""
    if not purpose or "\0" in purpose:
        raise ValueError("keyed_hash() needs a purpose without NUL characters")
    if not isinstance(text, str):
        raise TypeError(f"keyed_hash() takes text, not {type(text).__name__}")
    message = purpose.encode("utf-8") + b"\0" + text.encode("utf-8")
    return hmac.new(_keyring().hash_key, message, hashlib.sha256).hexdigest()


@checks.register(checks.Tags.security)
def check_keys(app_configs=None, **kwargs):
    """`manage.py check` (and migrate, runserver) reports a malformed or missing key before any value is sealed."""
    try:
        _keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="gridgov.crypto.E001")]
    return []
