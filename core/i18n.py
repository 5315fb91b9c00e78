"""Translations from Babel message catalogs. Message ids are English; Simplified Chinese
is the default language. The current language lives in a context variable set per
request, so services can phrase errors in the asker's language."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

ROOT_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = Path(__file__).parent / "locale"
# Each package keeps its own catalog (<package>/locale/<lang>/LC_MESSAGES/messages.po) so
# domains translate independently; they are merged at load time.
CATALOG_PACKAGES = ("core", "roster", "roster/review", "training", "training/exams", "certification", "expert_pool")
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def po_path(package: str, language: str) -> Path:
    return ROOT_DIR / package / "locale" / language / "LC_MESSAGES" / "messages.po"


@cache
def catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for package in CATALOG_PACKAGES:
        po_file = po_path(package, language)
        if not po_file.exists():
            continue
        with po_file.open("rb") as fh:
            parsed = read_po(fh)
        merged.update({str(m.id): str(m.string) for m in parsed if m.id and m.string and not m.fuzzy})
    return merged


def normalise_language(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    if value in LANGUAGES:
        return value
    if value.lower().startswith("zh"):
        return "zh_CN"
    if value.lower().startswith("en"):
        return "en"
    return None


def gettext(message: str, **params: object) -> str:
    text = catalog(current_language.get()).get(message, message)
    return text % params if params else text


_ = gettext


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated later, where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = gettext(singular if n == 1 else plural)
    params.setdefault("num", n)
    return text % params


def translations() -> Translations:
    return Translations()
