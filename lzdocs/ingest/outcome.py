"""What happened to one file: the record printed by ``lzdocs ingest --json``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lzdocs.errors import Problem


@dataclass
class Outcome:
    file: str
    status: str  # accepted | rejected | duplicate | ignored | failed (could not be taken; left where it was)
    unit: str | None = None
    year: int | None = None
    filled_date: dt.date | None = None
    rows: int = 0
    supersedes: str | None = None
    superseded_by: str | None = None  # accepted straight into history: an earlier-filled form than the current one
    stored_as: str | None = None
    problems: list[Problem] = field(default_factory=list)
    received: dt.date | None = None  # the day the form arrived: on time or late by it
    kind: str = "risk"  # the form kind read (forms/kinds): risk, or check (防控措施落实情况检查表)
    exact: str | None = None  # ``file`` as the system names it (``file`` shows it: a name that is not UTF-8 as a
    # guess, a control character escaped)

    def as_dict(self) -> dict:
        """As ``--json`` prints it; ``file_b64``: the bytes of a file name shown otherwise than it is — not UTF-8,
        or with a control character (``fsutil.exact_name``) — for a script to find the very file (one still in the
        inbox, say)."""
        from lzdocs.fsutil import exact_name

        exact = exact_name(self.exact) if self.exact else None
        return {"file": self.file, **({"file_b64": exact} if exact else {}), "status": self.status, "unit": self.unit,
                "year": self.year, "filled_date": self.filled_date.isoformat() if self.filled_date else None,
                "rows": self.rows, "supersedes": self.supersedes,
                "superseded_on_arrival": self.superseded_on_arrival, "superseded_by": self.superseded_by,
                "stored_as": self.stored_as, "received": self.received.isoformat() if self.received else None,
                "problems": [p.as_dict() for p in self.problems], "kind": self.kind}

    @property
    def superseded_on_arrival(self) -> bool:
        """Accepted, but its 填表日期 is earlier than the current form's: kept as history, the register unchanged."""
        return self.superseded_by is not None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]
