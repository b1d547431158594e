"""The ingest pipeline: claim → read → check → store → archive, or → rejected; nothing lost on a crash."""

from lzdocs.ingest.outcome import Outcome
from lzdocs.ingest.pipeline import Ingest

__all__ = ["Ingest", "Outcome"]
