"""The roster's serial numbers: roster numbers `{region}{year}{5-digit serial}` and filing
numbers `{region}-{year}-{4-digit serial}`, gap-free per region and year. Each counter is
bumped inside the transaction that uses its number."""

from __future__ import annotations

from roster.tables import RosterCounter


async def lock_counters() -> None:
    """Serialise counter bumps until the transaction ends: on PostgreSQL two transactions could
    otherwise both create the first counter row of a year; SQLite's write lock already does this."""
    from piccolo.querystring import QueryString

    from core.db import engine

    if engine().engine_type == "postgres":
        await engine().run_querystring(QueryString("LOCK TABLE roster_counter IN SHARE ROW EXCLUSIVE MODE"))


async def _next_serial(key: str, year: int) -> int:
    await lock_counters()
    rows = await RosterCounter.update({RosterCounter.last_serial: RosterCounter.last_serial + 1}).where(
        (RosterCounter.region_code == key) & (RosterCounter.year == year)).returning(RosterCounter.last_serial)
    if rows:
        return int(rows[0]["last_serial"])
    await RosterCounter.insert(RosterCounter(region_code=key, year=year, last_serial=1))
    return 1


async def next_roster_no(region_code: str, year: int) -> str:
    return f"{region_code}{year}{await _next_serial(region_code, year):05d}"


async def next_filing_no(region_code: str, year: int) -> str:
    # filing numbers count under their own key beside the region's roster numbers
    return f"{region_code}-{year}-{await _next_serial(f'F{region_code}', year):04d}"
