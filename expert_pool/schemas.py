"""Records several modules of the expert pool hand to each other and to the controllers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# A row as Piccolo reads it from one of the pool's own tables, inside the module that queried
# it; what leaves a module is one of the records below (or a module's own).
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Listing:
    """One entry of the invited-mediation list (特邀调解名册): an expert or an organisation,
    with the courts it serves."""

    id: int
    expert_id: int | None
    organisation_id: int | None
    name: str
    organisation_name: str
    region_code: str
    specialties: list[str]
    courts: list[int]
    approved_on: date
    status: str
    removed_reason: str
    court_names: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row: Row, court_names: list[str] | None = None) -> Listing:
        return cls(**row, court_names=court_names or [])
