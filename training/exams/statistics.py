"""Read-only figures for the reports (统计报告): marked results of released sittings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from training.exams.tables import Admission, Sitting


async def released_results(starts_at: datetime, ends_at: datetime, region_pattern: str) -> list[dict[str, Any]]:
    """One row per marked candidate of a sitting whose results are released and which opened in
    [starts_at, ends_at): region_code, grade, total, total_marks (of the paper) and passed."""
    sittings = {r["id"]: r["total_marks"] for r in await Sitting.select(
        Sitting.id, Sitting.paper.total_marks.as_alias("total_marks")).where(
        (Sitting.opens_at >= starts_at) & (Sitting.opens_at < ends_at) & (Sitting.status == "released"))}
    if not sittings:
        return []
    rows = await Admission.select(Admission.sitting, Admission.region_code, Admission.grade, Admission.total,
                                  Admission.passed).where(
        Admission.sitting.is_in(list(sittings)) & Admission.passed.is_not_null()
        & Admission.region_code.like(region_pattern))
    return [{"region_code": r["region_code"], "grade": r["grade"], "total": float(r["total"] or 0),
             "total_marks": sittings[r["sitting"]] or 100, "passed": bool(r["passed"])} for r in rows]
