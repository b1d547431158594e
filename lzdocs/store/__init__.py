"""The archive database (档案库): the only package that writes SQL. SQLite (WAL) by default, through SQLAlchemy Core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lzdocs.lazy import lazy_exports

if TYPE_CHECKING:
    from lzdocs.store.db import Store

__all__ = ["Store"]
__getattr__ = lazy_exports(__name__, {"Store": "db"})  # SQLAlchemy loads when a command opens the archive
