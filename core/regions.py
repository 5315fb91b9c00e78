"""The region tree. GB/T 2260 codes are hierarchical by digits, so "this region and
everything below it" is a prefix match on the code, which every table can index."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from core.data.fujian_regions import all_regions
from core.tables import Region


def region_prefix(code: str) -> str:
    """350000 → '35', 350500 → '3505', 350504 → '350504', 350504001000 → '350504001'."""
    if len(code) == 12:
        head = code[:9]
        return code if code[9:] != "000" else head
    prefix = code
    for _ in range(2):
        if prefix.endswith("00") and len(prefix) > 2:
            prefix = prefix[:-2]
    return prefix


def is_within(code: str | None, ancestor: str) -> bool:
    """True when `code` is `ancestor` or lies below it."""
    return bool(code and code.startswith(region_prefix(ancestor)))


def root_region() -> str:
    """The top of the tree (the province): a grant there reaches every region."""
    return all_regions()[0][0]


@lru_cache(maxsize=1)
def _parents() -> dict[str, str | None]:
    return {code: parent for code, _name, parent, _level in all_regions()}


def ancestors(code: str) -> list[str]:
    """The regions above `code`, nearest first (350504 → 350500, 350000)."""
    out, parent = [], _parents().get(code)
    while parent:
        out.append(parent)
        parent = _parents().get(parent)
    return out


def region_like(code: str) -> str:
    """A LIKE pattern for a region and everything below it."""
    return region_prefix(code) + "%"


def within_regions(column: Any, codes: Iterable[str]) -> Any | None:
    """A where clause: `column` lies in any of these regions or below them; None when there
    are no regions (the caller decides whether that means nothing or everything)."""
    where = None
    for code in codes:
        clause = column.like(region_like(code))
        where = clause if where is None else where | clause
    return where


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    return {code: name for code, name, _parent, _level in all_regions()}


def region_name(code: str | None) -> str:
    return region_names().get(code or "", code or "")


def region_choices(root: str | None = None, max_level: int = 3) -> list[tuple[str, str, int]]:
    """(code, indented label, level) for select boxes, limited to the subtree of `root`."""
    out = []
    for code, name, _parent, level in all_regions():
        if level <= max_level and (root is None or is_within(code, root)):
            out.append((code, name, level))
    return out


async def load_regions() -> int:
    """Insert every region not yet present; returns how many were added (idempotent)."""
    existing = {row["code"] for row in await Region.select(Region.code)}
    new_rows = [
        Region(code=code, name=name, parent_code=parent, level=level)
        for code, name, parent, level in all_regions()
        if code not in existing
    ]
    if new_rows:
        await Region.insert(*new_rows)
    return len(new_rows)
