"""Reading dates, moments and numbers from form or API values; each problem is put next to
its field in `errors`, so a form reports every error at once."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from core import clock
from core.i18n import _
from training.schemas import FormValues


def parse_title(data: FormValues, errors: dict[str, str], missing: str) -> str:
    """A record's title: required (`missing` says so), at most 200 characters."""
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = missing
    elif len(title) > 200:
        errors["title"] = _("The title may have at most 200 characters.")
    return title


def parse_date(value: Any, field_name: str, errors: dict[str, str], required: bool = False) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if value in (None, ""):
        if required:
            errors[field_name] = _("Enter a date.")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field_name] = _("Enter a date as YYYY-MM-DD.")
        return None


def parse_datetime(value: Any, field_name: str, errors: dict[str, str]) -> datetime | None:
    """A moment from a form (`YYYY-MM-DDTHH:MM`, read on the platform's wall clock) or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=clock.zone())
    if value in (None, ""):
        errors[field_name] = _("Enter a date and time.")
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace(" ", "T"))
    except ValueError:
        errors[field_name] = _("Enter a date and time as YYYY-MM-DD HH:MM.")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.zone())


def parse_number(value: Any, field_name: str, errors: dict[str, str], *, integer: bool = False,
                 minimum: float = 0, maximum: float = 100_000, required: bool = True) -> Any:
    if value in (None, ""):
        if required:
            errors[field_name] = _("Enter a number.")
        return None
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        errors[field_name] = _("Enter a whole number.") if integer else _("Enter a number.")
        return None
    if not math.isfinite(number) or number < minimum:
        errors[field_name] = _("Enter a number of at least %(minimum)s.", minimum=minimum)
        return None
    if number > maximum:
        errors[field_name] = _("Enter a number of at most %(maximum)s.", maximum=maximum)
        return None
    return number
