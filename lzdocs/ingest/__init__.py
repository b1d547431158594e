"""The ingest pipeline: claim → read → check → store → archive, or → rejected; nothing lost on a crash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lzdocs.lazy import lazy_exports

if TYPE_CHECKING:
    from lzdocs.ingest.outcome import Outcome
    from lzdocs.ingest.pipeline import Ingest

__all__ = ["Ingest", "Outcome"]
# The pipeline (form readers, lxml, the archive's SQLAlchemy) loads only when Ingest is asked for, so that
# lzdocs.ingest.scan and .claims stay light for the watcher.
__getattr__ = lazy_exports(__name__, {"Ingest": "pipeline", "Outcome": "outcome"})
