"""Rewriting a zip package (.docx, .xlsx): every member copied in order, the named parts replaced, edited or dropped."""

from __future__ import annotations

import io
import os
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import BinaryIO

# What a part becomes: new bytes; None (left out); or a function of the part's bytes that returns new bytes,
# None, or an iterable of byte chunks written as they come (for a part of any size: rows streamed from disk).
PartEdit = Callable[[bytes], bytes | Iterable[bytes] | None]
Change = bytes | PartEdit | None
Source = BinaryIO | str | os.PathLike


def rewrite_package(source: Source, dest: Source, parts: Mapping[str, Change] | None = None, *,
                    date_time: tuple[int, int, int, int, int, int] | None = None, mode: int | None = None) -> None:
    """Copy the package ``source`` to ``dest`` member by member, deflated, changing the members named in ``parts``.

    A part mapped to None is left out together with what points at it: its relationships in every ``.rels``
    part and its content-type override. ``date_time`` gives every member that time and ``mode`` those
    permission bits (reproducible output, as the tools that make the packaged templates need); otherwise each
    member keeps the source's. Names in ``parts`` that the package does not have are ignored. ``source`` must
    not be ``dest``: read a file into memory first to rewrite it in place.
    """
    parts = parts or {}
    dropped = {name for name, change in parts.items() if change is None}
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            change = parts[info.filename] if info.filename in parts else zin.read(info)
            if callable(change):
                change = change(zin.read(info))
            if change is None:
                continue
            if dropped and isinstance(change, bytes) and _points_at_parts(info.filename):
                change = _without_references(info.filename, change, dropped)
            member = _member_info(info, date_time, mode)
            if isinstance(change, (bytes, bytearray)):
                zout.writestr(member, change)
                continue
            with zout.open(member, "w", force_zip64=True) as out:
                for chunk in change:
                    out.write(chunk)


def _member_info(info: zipfile.ZipInfo, date_time: tuple | None, mode: int | None) -> zipfile.ZipInfo:
    """The same name, deflated, with the source's (or the given) date and permissions; sizes are set on writing."""
    fresh = zipfile.ZipInfo(info.filename, date_time=date_time or info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.external_attr = info.external_attr if mode is None else mode << 16
    return fresh


def _points_at_parts(name: str) -> bool:
    return name == "[Content_Types].xml" or name.endswith(".rels")


def _without_references(name: str, data: bytes, dropped: set[str]) -> bytes:
    """A relationships or content-types part without the entries that point at ``dropped`` parts."""
    from lxml import etree

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    base = posixpath.dirname(posixpath.dirname(name))  # word/_rels/document.xml.rels → word
    removed = False
    for child in list(root):
        if child.get("TargetMode") == "External":
            continue
        target = child.get("Target") or child.get("PartName") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        if target and path in dropped:
            root.remove(child)
            removed = True
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) if removed else data


def part_names(source: BinaryIO, prefix: str) -> list[str]:
    with zipfile.ZipFile(source) as z:
        return [n for n in z.namelist() if n.startswith(prefix)]


def read_part(source: BinaryIO, name: str) -> str:
    with zipfile.ZipFile(source) as z:
        return z.read(name).decode("utf-8")


# --- the same, from members kept compressed in memory ----------------------------------------------------
# A template rendered many times (a batch of letters) keeps its members compressed and copies them byte for
# byte into every output: ~0.1 ms a letter where recompressing through zipfile takes ~10 ms (styles.xml alone
# is 350 kB). Only the parts that were rendered are deflated again.

@dataclass
class RawMember:
    """One zip member with its compressed bytes, as stored in the package."""

    name: str
    raw: bytes
    crc: int
    compress_size: int
    file_size: int
    method: int
    flags: int
    dos_time: int
    dos_date: int
    external_attr: int

    def inflate(self) -> bytes:
        return self.raw if self.method == zipfile.ZIP_STORED else zlib.decompress(self.raw, -15)

    def with_content(self, data: bytes) -> RawMember:
        """This member holding ``data`` instead, deflated once (a part every render then copies as it is)."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = compressor.compress(data) + compressor.flush()
        return replace(self, raw=raw, crc=zlib.crc32(data), compress_size=len(raw),
                                   file_size=len(data), method=zipfile.ZIP_DEFLATED)


def read_raw_member(fh: BinaryIO, info: zipfile.ZipInfo) -> RawMember:
    """The member ``info`` of the open zip file ``fh``, still compressed; BadZipFile if its header is not there."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fh.read(info.compress_size)
    dos_time = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (info.date_time[5] // 2)
    dos_date = ((max(info.date_time[0], 1980) - 1980) << 9) | (info.date_time[1] << 5) | info.date_time[2]
    return RawMember(info.filename, raw, info.CRC, info.compress_size, info.file_size, info.compress_type,
                     info.flag_bits & 0x0800, dos_time, dos_date, info.external_attr)


def write_raw_members(members: list[RawMember], replaced: Mapping[str, bytes]) -> bytes:
    """A zip with the same members in the same order; ``replaced`` members deflated anew, the others copied raw.

    For packages under 4 GB (letters are a few kilobytes): no zip64 records are written."""
    out = io.BytesIO()
    central = []
    for e in members:
        name = e.name.encode("utf-8")
        if e.name in replaced:
            data = replaced[e.name]
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = compressor.compress(data) + compressor.flush()
            crc, usize, method = zlib.crc32(data), len(data), zipfile.ZIP_DEFLATED
        else:
            raw, crc, usize, method = e.raw, e.crc, e.file_size, e.method
        flags = e.flags | (0x0800 if any(b > 127 for b in name) else 0)
        offset = out.tell()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, e.dos_time, e.dos_date,
                              crc, len(raw), usize, len(name), 0))
        out.write(name)
        out.write(raw)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, method, e.dos_time,
                                   e.dos_date, crc, len(raw), usize, len(name), 0, 0, 0, 0, e.external_attr,
                                   offset) + name)
    start = out.tell()
    if start > 0xFFFFFFFF:
        raise ValueError("package too large for a zip without zip64 records")
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), size, start, 0))
    return out.getvalue()
