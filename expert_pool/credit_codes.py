"""Unified social credit codes (统一社会信用代码, GB 32100-2015): an employer named in a case
or a standing conflict is matched by its code when one is given, so a code must be valid."""

from __future__ import annotations

_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """GB 32100-2015: the 18th character of a unified social credit code."""
    total = sum(_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS, strict=True))
    return _CODE_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    return (len(code) == 18 and all(c in _CODE_ALPHABET for c in code)
            and credit_code_check(code[:17]) == code[17])
