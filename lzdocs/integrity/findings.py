"""What a check of the archive (or of a backup or a 归档 package) found: findings and the report they make."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Findings that tell of the office's own work, not of changes to the archive: a returned form (or its 错误说明)
# the unit took out of 退回/ to correct it, settled when the corrected one comes; a file nothing recorded in a
# year's 草稿/ (most likely a draft cut off before its record: drafts take no number and count for nothing). Said,
# but the archive holds (``Report.ok``).
NOTES = frozenset({"taken_back", "draft_left"})


@dataclass(frozen=True)
class Finding:
    """One thing that does not hold. ``kind`` is an English key (``changed``, ``missing``, ``stray``,
    ``chain_broken``, ``event_changed``, ``database`` …; the ``NOTES``: ``taken_back``, ``draft_left``); ``subject`` the
    file (workspace path, ``/``) or event (``事件 #12``) it is about; ``message`` the Chinese sentence a clerk reads,
    saying what to do; ``last_good`` when the subject was last known good (ISO time of its record or of the last
    intact event)."""

    kind: str
    subject: str
    message: str
    last_good: str | None = None

    def as_dict(self) -> dict:
        """As ``--json`` prints it: the subject as shown, and — a file name that is not UTF-8 — its bytes in base64
        (``subject_b64``: ``fsutil.exact_name``)."""
        from lzdocs.fsutil import exact_name

        exact = exact_name(self.subject)
        return {**asdict(self), "subject": self.shown, **({"subject_b64": exact} if exact else {})}

    @property
    def shown(self) -> str:
        """The subject fit to print: a file name whose bytes are not UTF-8 (a GBK name on a Linux share) decoded
        as GBK, or escaped (``fsutil.display_path``)."""
        from lzdocs.fsutil import display_path

        return display_path(self.subject)

    def line(self) -> str:
        since = f"（最后一次确认完好：{self.last_good[:19].replace('T', ' ')}）" if self.last_good else ""  # (seconds)
        return f"{self.shown}：{self.message}{since}"


@dataclass
class Report:
    """The result of one check: what was looked at (``checked``: English key → count) and what was found."""

    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing found but notes (``NOTES``)."""
        return all(f.kind in NOTES for f in self.findings)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "checked": dict(self.checked), "findings": [f.as_dict() for f in self.findings],
                "seconds": round(self.seconds, 3)}
