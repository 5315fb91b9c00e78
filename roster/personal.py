"""Personal data of mediators and applicants: validation of ID numbers (GB 11643) and
phones, encryption at rest, a keyed hash for uniqueness, and the masks shown to staff."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet

from core.errors import DomainError
from core.i18n import _
from core.settings import get_settings

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_check_digit(first17: str) -> str:
    """GB 11643-1999: weighted sum mod 11 mapped through 1 0 X 9 8 7 6 5 4 3 2."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str, field: str = "id_number") -> str:
    """Return the 18-character ID number or raise a field error that never echoes it."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise DomainError(_("An ID number has 18 characters: 17 digits and a digit or X."), field)
    if id_check_digit(value[:17]) != value[17]:
        raise DomainError(_("This ID number's check digit is wrong; please check it."), field)
    return value


def normalise_phone(value: str, field: str = "phone") -> str:
    value = re.sub(r"[\s()]", "", value or "")
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise DomainError(_("Enter an 11-digit mobile number or a landline with its area code."), field)
    return value


def mask_id_number(value: str) -> str:
    """First 6 (the region of issue) and last 4, as staff see it by default."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "*" * len(value)


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(("personal-data:" + secret).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def protect(value: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(value.encode()).decode() if value else ""


def reveal(token: str) -> str:
    if not token:
        return ""
    settings = get_settings()
    for key in (settings.secret_key, *settings.retired_secret_keys):
        try:
            return _fernet(key).decrypt(token.encode()).decode()
        except Exception:  # noqa: S112 - try the next (retired) key
            continue
    return ""


def id_hash(value: str) -> str:
    """Keyed hash so uniqueness is checked without a clear-text column."""
    return hmac.new(b"id-number", value.encode(), hashlib.sha256).hexdigest()
