"""Text typed or imported by people, checked before it is kept.

Names and titles end up printed (certificates, the public roster), in exported spreadsheets
and in file names. A control character there breaks the line or the file (an XLSX writer
refuses most of them), and a hidden text-direction mark makes one name look like another
(`U+202E` shows "林晓梅‮abc" reversed). No real name or title needs either, so they are
refused at input, with the error beside the field, rather than cleaned silently."""

from __future__ import annotations

import unicodedata

from core.errors import DomainError
from core.i18n import _

# Hidden direction marks and overrides (Unicode's bidi controls): ALM, LRM, RLM, LRE…RLO, LRI…PDI.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks a multi-line text may hold (a question's stem, a reason); a name or title holds none.
LINE_BREAKS = frozenset("\n\r\t")


def _is_refused(char: str, multiline: bool) -> bool:
    if multiline and char in LINE_BREAKS:
        return False
    # Cc: C0 and C1 controls and DEL; Zl/Zp: the Unicode line and paragraph separators.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The translated reason `value` cannot be kept as typed, or None when it can."""
    if any(_is_refused(char, multiline) for char in value):
        return _("Remove the control characters or hidden text-direction marks from this text.")
    return None


def check_text(value: str, field: str, *, multiline: bool = False) -> str:
    """`value` when it holds no control character or direction mark; a DomainError on `field` otherwise."""
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise DomainError(problem, field)
    return value


def check_fields(clean: dict, errors: dict[str, str], fields: tuple[str, ...], *, multiline: bool = False) -> None:
    """Add an error for each of `fields` of `clean` (a form being validated) that holds a refused
    character, unless that field already has an error."""
    for name in fields:
        value = clean.get(name)
        if isinstance(value, str) and name not in errors:
            problem = text_problem(value, multiline=multiline)
            if problem:
                errors[name] = problem
