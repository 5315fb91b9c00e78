"""The certificate as the certification modules hand it to each other and to the pages: one
stored certificate (every column of `certification.tables.Certificate`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from certification.rules import effective_status


@dataclass(frozen=True, slots=True)
class Certificate:
    id: int
    certificate_no: str
    mediator_id: int
    holder_name: str
    grade: str
    region_code: str
    issuer: str
    issued_on: date
    expires_on: date
    status: str
    status_reason: str
    status_note: str
    version: int
    layout_version: int
    renewed_from_id: int | None
    renewed_by_id: int | None
    sitting_id: int | None
    photo_path: str | None
    png_sha256: str
    pdf_sha256: str
    reminded_days: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Certificate:
        """The record of a row selected with every column."""
        return cls(**row)

    @property
    def current_status(self) -> str:
        """The status against today (see rules.effective_status)."""
        return effective_status(self.status, self.expires_on)

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail keeps of a certificate before and after a change."""
        return {"certificate_no": self.certificate_no, "status": self.status, "status_reason": self.status_reason,
                "grade": self.grade, "expires_on": self.expires_on, "version": self.version}
