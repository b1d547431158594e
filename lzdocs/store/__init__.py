"""The archive database (档案库): the only package that writes SQL. SQLite (WAL) by default, through SQLAlchemy Core."""

from lzdocs.store.db import Store

__all__ = ["Store"]
