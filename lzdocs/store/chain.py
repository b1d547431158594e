"""The events' hash chain (docs/product.md §12.1): each event's hash covers the previous one's and its own content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lzdocs.store import sql
from lzdocs.store.meta import get_meta, set_meta

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

HEAD = "event_chain_head"  # meta key: "<id> <hash>" of the last event lzdocs recorded (a deleted last event shows)
# Every form taken and every letter appends an event: plain SQL (lzdocs/store/sql.py).
_LAST = 'SELECT (SELECT value FROM meta WHERE "key" = :head) AS head, (SELECT max(id) FROM events) AS highest'


def moment(at: dt.datetime | str | None) -> str:
    """An event's time as it enters its hash: ISO with microseconds, whatever the database gave back (a value that
    is not a time, typed in by hand, is hashed as it is, so it fails the check)."""
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at)
        except ValueError:
            return at
    return "" if at is None else at.isoformat(sep=" ", timespec="microseconds")


def event_hash(prev_hash: str | None, event: dict) -> str:
    """SHA-256 over the previous event's hash and a canonical JSON of this event (its id included, so an event moved,
    removed or put in between breaks the chain where it happened)."""
    body = [event["id"], moment(event["at"]), event["actor"], event["action"], event["subject"], event["before"],
            event["after"]]
    digest = hashlib.sha256((prev_hash or "").encode("ascii") + b"\n")
    digest.update(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def head(conn: Connection) -> tuple[int, str | None]:
    """(id, hash) of the last event lzdocs recorded: from the meta row, or (0, None) before the first."""
    return _parse_head(get_meta(conn, HEAD))


def _parse_head(value: str | None) -> tuple[int, str | None]:
    if not value:
        return 0, None
    number, _, digest = value.partition(" ")
    return int(number), digest or None


def append(conn: Connection, event: dict) -> None:
    """Insert ``event`` (without id) as the next link of the chain; inside the caller's write transaction."""
    last = sql.row(conn, _LAST, {"head": HEAD})
    last_id, last_hash = _parse_head(last["head"])
    event = dict(event, id=max(last_id, last["highest"] or 0) + 1, prev_hash=last_hash)
    event["hash"] = event_hash(last_hash, event)
    sql.insert(conn, "events", event)
    set_head(conn, event["id"], event["hash"])


def set_head(conn: Connection, event_id: int, digest: str) -> None:
    set_meta(conn, HEAD, f"{event_id} {digest}")


def chain_all(conn: Connection) -> int:
    """Compute the chain over every event in id order (the upgrade to version 8); returns how many."""
    from sqlalchemy import select, update

    from lzdocs.store.schema import events

    prev, last = None, None
    rows = conn.execute(select(events.c.id, events.c.at, events.c.actor, events.c.action, events.c.subject,
                               events.c.before, events.c.after).order_by(events.c.id)).mappings().all()
    for row in rows:
        digest = event_hash(prev, row)
        conn.execute(update(events).where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest))
        prev, last = digest, row["id"]
    if last is not None:
        set_head(conn, last, prev)
    return len(rows)


def stored_events(conn: Connection) -> Iterator[dict]:
    """Every event as stored, in id order, its time as text (a hand-edited time that is no time does not stop the
    check): one query, streamed."""
    from sqlalchemy import String, cast, select

    from lzdocs.store.schema import events

    query = select(events.c.id, cast(events.c.at, String).label("at"), events.c.actor, events.c.action,
                   events.c.subject, events.c.before, events.c.after, events.c.prev_hash,
                   events.c.hash).order_by(events.c.id)
    for row in conn.execution_options(stream_results=True).execute(query).mappings():
        yield dict(row)
