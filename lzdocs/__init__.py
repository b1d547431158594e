"""lzdocs：廉政风险防控工作台 — reads filled forms, keeps the archive, writes registers, letters and notices.

As a library: ``lzdocs.Office(path)`` is a workspace with a method for every command (see docs/design.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Office", "__version__"]

if TYPE_CHECKING:
    from lzdocs.office import Office


def __getattr__(name: str):
    """``lzdocs.Office`` loads on first use, so ``lzdocs --help`` does not pay for the library (PEP 562)."""
    if name == "Office":
        from lzdocs.office import Office

        return Office
    raise AttributeError(f"module 'lzdocs' has no attribute {name!r}")
