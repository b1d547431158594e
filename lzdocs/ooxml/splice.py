"""Streaming many rows into an OOXML package made by a normal library: cut a part around its marker row."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MarkedRow:
    """A part's XML cut around the one element (row) that holds a marker: ``prefix + row + suffix``."""

    prefix: str
    row: str
    suffix: str


def split_at_marker(xml: str, marker: str, tag: str) -> MarkedRow | None:
    """Cut ``xml`` around the innermost ``<tag>`` element (e.g. ``row`` or ``w:tr``) that contains ``marker``.

    The rows then go between the halves as a part of :func:`lzdocs.ooxml.package.rewrite_package`.
    Returns None when the marker is not in the part. Element names are matched exactly: ``<w:tr>`` or
    ``<w:tr …>``, never ``<w:trPr>``.
    """
    at = xml.find(marker)
    if at < 0:
        return None
    opening = re.compile(rf"<{re.escape(tag)}[ >/]")
    start = -1
    for m in opening.finditer(xml, 0, at):
        start = m.start()
    closing = f"</{tag}>"
    end = xml.find(closing, at)
    if start < 0 or end < 0:
        return None
    end += len(closing)
    return MarkedRow(xml[:start], xml[start:end], xml[end:])
