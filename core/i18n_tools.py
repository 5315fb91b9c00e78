"""Message catalog upkeep, one catalog per package:

    python -m core.i18n_tools update [package]   extract ids into <package>/locale/*/messages.po
    python -m core.i18n_tools missing [package]  list ids without a Chinese translation
    python -m core.i18n_tools fill FILE.py [package]   FILE defines ZH = {msgid: 中文}
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.i18n import CATALOG_PACKAGES, LANGUAGES, po_path
from core.settings import ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "core_text": None}


def _method_map(package: str) -> list[tuple[str, str]]:
    # A sub-package with its own catalog is left to that catalog.
    nested = [p[len(package) + 1 :] for p in CATALOG_PACKAGES if p.startswith(package + "/")]
    ignores = [(f"{sub}/**", "ignore") for sub in nested]
    return ignores + [("**/piccolo_migrations/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]


OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def extract(package: str | None = None) -> dict[str, list[str]]:
    """Every message id (of one package, or all) with where it appears."""
    found: dict[str, list[str]] = {}
    for name in [package] if package else CATALOG_PACKAGES:
        directory = ROOT / name
        if not directory.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(directory), _method_map(name), OPTIONS, KEYWORDS
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(msgid, []).append(f"{name}/{filename}:{lineno}")
    return found


def read_catalog(package: str, language: str) -> Catalog:
    path = po_path(package, language)
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def _write(package: str, language: str, catalog: Catalog) -> None:
    path = po_path(package, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True)


def update(package: str) -> None:
    ids = extract(package)
    if not ids:
        return
    for language in LANGUAGES:
        old = read_catalog(package, language)
        new = Catalog(locale=language, project="mediation-roster", charset="utf-8")
        for msgid, places in sorted(ids.items()):
            previous = old.get(msgid)
            translation = previous.string if previous and previous.string else ("" if language != "en" else msgid)
            new.add(msgid, translation, locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places[:3]])
        _write(package, language, new)


def missing(package: str | None = None, language: str = "zh_CN") -> list[str]:
    out = []
    for name in [package] if package else CATALOG_PACKAGES:
        catalog = read_catalog(name, language)
        out += [f"{name}: {m}" for m in extract(name) if not ((message := catalog.get(m)) and message.string)]
    return out


def fill(package: str, translations: dict[str, str], language: str = "zh_CN") -> int:
    catalog = read_catalog(package, language)
    changed = 0
    for message in catalog:
        if message.id and message.id in translations and message.string != translations[message.id]:
            message.string = translations[message.id]
            changed += 1
    _write(package, language, catalog)
    return changed


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "update":
        for name in sys.argv[2:] or list(CATALOG_PACKAGES):
            update(name)
    elif command == "fill":
        print("filled", fill(sys.argv[3] if len(sys.argv) > 3 else "core", runpy.run_path(sys.argv[2])["ZH"]))
    for line in missing(sys.argv[2] if command in ("missing", "update") and len(sys.argv) > 2 else None):
        print(line)
