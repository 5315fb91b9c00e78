"""The Jinja2 environment: one loader over core's and each domain's templates, the
i18n extension wired to our catalogs, and globals the layout needs."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from core import clock
from core.i18n import CATALOG_PACKAGES, LANGUAGES, current_language, ngettext, template_gettext, translate
from core.regions import region_name
from core.settings import ROOT, get_settings


def _date(value, fmt: str = "%Y-%m-%d") -> str:
    return value.strftime(fmt) if value else ""


def _datetime(value) -> str:
    """An instant on the platform's wall clock."""
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def make_environment() -> Environment:
    loaders = [
        FileSystemLoader(str(ROOT / package / "templates"))
        for package in CATALOG_PACKAGES
        if (Path(ROOT) / package / "templates").is_dir()
    ]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(template_gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension at run time
    env.globals.update(
        languages=LANGUAGES,
        current_language=current_language.get,
        region_name=region_name,
        site_settings=get_settings,
        # The layout's own words, in core's catalog on every page (`_` would take the page's).
        core_text=lambda message: translate(message, "core"),
    )
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    return env
