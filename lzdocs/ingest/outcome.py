"""What happened to one file: the record printed by ``lzdocs ingest --json``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lzdocs.errors import Problem


@dataclass
class Outcome:
    file: str
    status: str  # accepted | rejected | duplicate | ignored
    unit: str | None = None
    year: int | None = None
    filled_date: dt.date | None = None
    rows: int = 0
    supersedes: str | None = None
    stored_as: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"file": self.file, "status": self.status, "unit": self.unit, "year": self.year,
                "filled_date": self.filled_date.isoformat() if self.filled_date else None,
                "rows": self.rows, "supersedes": self.supersedes, "stored_as": self.stored_as,
                "problems": [p.as_dict() for p in self.problems]}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]
