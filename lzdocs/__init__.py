"""lzdocs：廉政风险防控工作台 — reads filled forms, keeps the archive, writes registers, letters and notices.

As a library: ``lzdocs.Office(path)`` is a workspace with a method for every command (see docs/design.md).
"""

__version__ = "0.1.0"

from lzdocs.office import Office  # noqa: E402

__all__ = ["Office", "__version__"]
