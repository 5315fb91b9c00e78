"""Signed verification tokens: what the QR code of a certificate carries. A token signs the
certificate's id and card version with the site secret, so a number cannot be guessed or
forged; retired secrets keep verifying the tokens they signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct

from core.settings import get_settings

# Retired signing keys besides MEDIATION_RETIRED_SECRET_KEYS (tests and emergency rotation).
RETIRED_KEYS: list[str] = []
TOKEN_MAC_BYTES = 10  # 80-bit truncated HMAC-SHA256
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")  # base64url of 4 + 2 + 10 bytes, no padding


def _mac(key: str, payload: bytes) -> bytes:
    return hmac.new(key.encode(), b"certificate-token:" + payload, hashlib.sha256).digest()[:TOKEN_MAC_BYTES]


def make_token(certificate_id: int, version: int, key: str | None = None) -> str:
    """URL-safe token: (id, version) and a truncated HMAC with the site secret; 22 chars."""
    payload = struct.pack(">IH", certificate_id, version)
    raw = payload + _mac(key or get_settings().secret_key, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signing_keys() -> list[str]:
    settings = get_settings()
    return [settings.secret_key, *settings.retired_secret_keys, *RETIRED_KEYS]


def read_token(token: str) -> tuple[int, int] | None:
    """(certificate id, version) of a genuine token, else None: wrong length, padding, bad
    characters, a non-canonical encoding or a MAC no current or retired key makes."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "==")
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        return None
    payload, mac = raw[:6], raw[6:]
    if not any(hmac.compare_digest(mac, _mac(key, payload)) for key in signing_keys()):
        return None
    certificate_id, version = struct.unpack(">IH", payload)
    return certificate_id, version


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_url(certificate_id: int, version: int) -> str:
    return f"{get_settings().base_url}/verify/{make_token(certificate_id, version)}"
