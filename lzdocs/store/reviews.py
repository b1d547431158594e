"""复核 records: the reviews a 落实情况 form reported, and the latest form date of each unit's current risk points."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from lzdocs.store.schema import reviews, unit_is


def add_reviews(conn: Connection, submission_id: int, rows: list[dict]) -> list[int]:
    """Insert the reviews of one 落实情况 form; returns their ids (in the order given)."""
    return [conn.execute(insert(reviews).values(submission_id=submission_id, **row)).inserted_primary_key[0]
            for row in rows]


def reviews_of(conn: Connection, unit: str | Collection[str] | None = None):
    """Every recorded review (of ``unit``), oldest first."""
    q = select(reviews)
    if unit is not None:
        q = q.where(unit_is(reviews.c.unit, unit))
    return conn.execute(q.order_by(reviews.c.reviewed, reviews.c.id)).mappings().all()
