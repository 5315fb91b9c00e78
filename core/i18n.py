"""Translations from Babel message catalogs. Message ids are English; Simplified Chinese
is the default language. The current language lives in a context variable set per
request, so services can phrase errors in the asker's language."""

from __future__ import annotations

import sys
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import pass_context

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
def package_catalog(language: str, package: str) -> dict[str, str]:
    po_file = po_path(package, language)
    if not po_file.exists():
        return {}
    with po_file.open("rb") as fh:
        parsed = read_po(fh)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string and not m.fuzzy}


@cache
def catalog(language: str) -> dict[str, str]:
    """Every package's catalog merged: the fallback when the asking package has no entry."""
    merged: dict[str, str] = {}
    for package in CATALOG_PACKAGES:
        merged.update(package_catalog(language, package))
    return merged


@cache
def package_of_module(module: str) -> str | None:
    """The catalog of a Python module: the deepest catalog package containing it."""
    path = module.replace(".", "/")
    for package in sorted(CATALOG_PACKAGES, key=len, reverse=True):
        if path == package or path.startswith(package + "/"):
            return package
    return None


# Template folders name their package's catalog (e.g. roster/review/templates/review/...).
TEMPLATE_PACKAGES = {"core": "core", "layout": "core", "errors": "core", "roster": "roster", "review": "roster/review",
                     "training": "training", "exams": "training/exams", "certification": "certification",
                     "expert_pool": "expert_pool"}


def translate(message: str, package: str | None) -> str:
    """The same English id can mean different things in two domains ("Accept" a filing,
    "Accept" an invitation), so the asking package's own catalog is consulted first."""
    language = current_language.get()
    if package:
        text = package_catalog(language, package).get(message)
        if text:
            return text
    return catalog(language).get(message, message)


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
    caller = sys._getframe(1).f_globals.get("__name__", "")
    text = translate(message, package_of_module(caller))
    return text % params if params else text


@pass_context
def template_gettext(context, message: str) -> str:
    """gettext for templates: the template's folder names its package's catalog."""
    folder = (context.name or "").split("/", 1)[0]
    return translate(message, TEMPLATE_PACKAGES.get(folder))


_ = gettext


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated later, where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    caller = sys._getframe(1).f_globals.get("__name__", "")
    text = translate(singular if n == 1 else plural, package_of_module(caller))
    params.setdefault("num", n)
    return text % params


def translations() -> Translations:
    return Translations()
