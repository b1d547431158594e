"""Streaming many rows into an OOXML package made by a normal library: split a part at a marker row, copy the rest."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO, BinaryIO, Callable

# A part writer gets the part's original XML text and a binary stream to write the new part into.
PartWriter = Callable[[str, IO[bytes]], None]


@dataclass(frozen=True)
class MarkedRow:
    """A part's XML cut around the one element (row) that holds a marker: ``prefix + row + suffix``."""

    prefix: str
    row: str
    suffix: str


def split_at_marker(xml: str, marker: str, tag: str) -> MarkedRow | None:
    """Cut ``xml`` around the innermost ``<tag>`` element (e.g. ``row`` or ``w:tr``) that contains ``marker``.

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


def rewrite_package(source: BinaryIO, dest: BinaryIO, writers: dict[str, PartWriter]) -> None:
    """Copy a zip package entry by entry, letting ``writers`` produce the named parts (streamed, zip64 on)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            writer = writers.get(info.filename)
            if writer is None:
                zout.writestr(_fresh_info(info), zin.read(info.filename))
                continue
            text = zin.read(info.filename).decode("utf-8")
            with zout.open(_fresh_info(info), "w", force_zip64=True) as out:
                writer(text, out)


def _fresh_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """The same name and date, compressed with deflate (sizes are set while writing)."""
    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.external_attr = info.external_attr
    return fresh


def part_names(source: BinaryIO, prefix: str) -> list[str]:
    with zipfile.ZipFile(source) as z:
        return [n for n in z.namelist() if n.startswith(prefix)]


def read_part(source: BinaryIO, name: str) -> str:
    with zipfile.ZipFile(source) as z:
        return z.read(name).decode("utf-8")
