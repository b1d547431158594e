"""Rewriting a zip package (.docx, .xlsx): every member copied in order, the named parts replaced, edited or dropped."""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import BinaryIO

# What a part becomes: new bytes; None (left out); or a function of the part's bytes that returns new bytes,
# None, or an iterable of byte chunks written as they come (for a part of any size: rows streamed from disk).
PartEdit = Callable[[bytes], bytes | Iterable[bytes] | None]
Change = bytes | PartEdit | None
Source = BinaryIO | str | os.PathLike

# zlib's level for the parts deflated anew. 6 (zlib's default) for a letter's few kilobytes; FAST_LEVEL for the
# registers' tens of megabytes of rows: about half the time of level 6 for 7–12 % more bytes on Chinese text
# (3 rather than 1: as fast there, and smaller).
DEFAULT_LEVEL = 6
FAST_LEVEL = 3


def rewrite_package(source: Source, dest: Source, parts: Mapping[str, Change] | None = None, *,
                    date_time: tuple[int, int, int, int, int, int] | None = None, mode: int | None = None,
                    level: int = DEFAULT_LEVEL) -> None:
    """Copy the package ``source`` to ``dest`` member by member, deflated, changing the members named in ``parts``.

    A part mapped to None is left out together with what points at it: its relationships in every ``.rels``
    part and its content-type override. ``date_time`` gives every member that time and ``mode`` those
    permission bits (reproducible output, as the tools that make the packaged templates need); otherwise each
    member keeps the source's. Names in ``parts`` that the package does not have are ignored. ``source`` must
    not be ``dest``: read a file into memory first to rewrite it in place. ``level``: zlib's, for the members
    deflated anew.

    A member left as it is and already deflated keeps its compressed bytes (checked against its CRC, as reading
    it would be): only the changed parts are compressed, not the whole package a second time.
    """
    parts = parts or {}
    dropped = {name for name, change in parts.items() if change is None}
    with _opened(source, "rb") as fh, zipfile.ZipFile(fh) as zin, _opened(dest, "wb") as out:
        writer = ZipWriter(out, level=level)
        for info in zin.infolist():
            stamp = _dos_stamp(date_time or info.date_time)
            attr = info.external_attr if mode is None else mode << 16
            if info.filename not in parts and not (dropped and _points_at_parts(info.filename)) and info.file_size \
                    and info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x1:
                writer.add_raw(replace(_checked_raw(fh, info), flags=0, external_attr=attr, **stamp))
                continue
            change = parts[info.filename] if info.filename in parts else zin.read(info)
            if callable(change):
                change = change(zin.read(info))
            if change is None:
                continue
            if dropped and isinstance(change, bytes) and _points_at_parts(info.filename):
                change = _without_references(info.filename, change, dropped)
            writer.add(info.filename, [change] if isinstance(change, (bytes, bytearray)) else change,
                       external_attr=attr, **stamp)
        writer.finish()


@contextmanager
def _opened(target: Source, mode: str) -> Iterator[BinaryIO]:
    """A path opened in ``mode`` (and closed after), or an open binary file as it is."""
    if isinstance(target, (str, os.PathLike)):
        with open(target, mode) as fh:
            yield fh
    else:
        yield target


def _checked_raw(fh: BinaryIO, info: zipfile.ZipInfo) -> RawMember:
    """The member still compressed, after inflating it once to check it as ``ZipFile.read`` would (a damaged
    member is a BadZipFile naming it)."""
    member = read_raw_member(fh, info)
    try:
        data = member.inflate()
    except zlib.error as exc:
        raise zipfile.BadZipFile(f"Damaged compressed data for file {info.filename!r} ({exc})") from exc
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"File {info.filename!r} holds {len(data)} bytes, its directory says "
                                 f"{info.file_size}")
    if zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return member


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
    """The member ``info`` of the open zip file ``fh``, still compressed; BadZipFile if its header is not there or
    names another member (as ``ZipFile.open`` checks: two directory entries sharing one member's data)."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    name = fh.read(name_len)
    if name.decode("utf-8" if info.flag_bits & 0x0800 else "cp437", "replace") != info.orig_filename:
        raise zipfile.BadZipFile(f"File name in directory {info.orig_filename!r} and header {name!r} differ.")
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fh.read(info.compress_size)
    return RawMember(info.filename, raw, info.CRC, info.compress_size, info.file_size, info.compress_type,
                     info.flag_bits & 0x0800, external_attr=info.external_attr, **_dos_stamp(info.date_time))


def _dos_stamp(date_time: tuple) -> dict[str, int]:
    """A member's time as the zip headers hold it (MS-DOS time and date; years before 1980 as 1980)."""
    year, month, day, hour, minute, second = date_time[:6]
    return {"dos_time": (hour << 11) | (minute << 5) | (second // 2),
            "dos_date": ((max(year, 1980) - 1980) << 9) | (month << 5) | day}


def write_raw_members(members: list[RawMember], replaced: Mapping[str, bytes]) -> bytes:
    """A zip with the same members in the same order; ``replaced`` members deflated anew, the others copied raw."""
    out = io.BytesIO()
    writer = ZipWriter(out, system=0)
    for e in members:
        if e.name in replaced:
            writer.add(e.name, [replaced[e.name]], dos_time=e.dos_time, dos_date=e.dos_date,
                       external_attr=e.external_attr, flags=e.flags)
        else:
            writer.add_raw(e)
    writer.finish()
    return out.getvalue()


ZIP64_LIMIT = (1 << 31) - 1  # past this a size or offset goes in a zip64 record (where the zipfile module puts it)
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")


class ZipWriter:
    """Zip members written one after another to ``out``, each with its compressed bytes and sizes known before its
    header (no seeking back, no data descriptor), then the central directory; zip64 fields only where a size or
    an offset needs them, as the zipfile module writes them. ``system`` 3 (Unix, what the zipfile module writes on
    a POSIX system) has the permission bits in ``external_attr`` read as such. ``level``: zlib's, for :meth:`add`."""

    def __init__(self, out: BinaryIO, *, system: int = 3, level: int = DEFAULT_LEVEL):
        self.out, self.system, self.level = out, system, level
        try:  # offsets count from the start of the file, as a reader looks for them
            self.offset = out.tell()
        except OSError:  # a stream that cannot tell: written from its start
            self.offset = 0
        self.central: list[bytes] = []

    def add(self, name: str, chunks: Iterable[bytes], *, dos_time: int, dos_date: int, external_attr: int,
            flags: int = 0) -> None:
        """A member holding the bytes of ``chunks`` (any number, of any size), deflated into a spooled file first."""
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        crc = size = 0
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
            for chunk in chunks:
                crc, size = zlib.crc32(chunk, crc), size + len(chunk)
                spool.write(compressor.compress(chunk))
            spool.write(compressor.flush())
            compressed = spool.tell()
            spool.seek(0)
            self._write(RawMember(name, b"", crc, compressed, size, zipfile.ZIP_DEFLATED, flags, dos_time, dos_date,
                                  external_attr), spool)

    def add_raw(self, member: RawMember) -> None:
        """A member copied as it is compressed."""
        self._write(member, io.BytesIO(member.raw))

    def _write(self, e: RawMember, raw: BinaryIO) -> None:
        name = e.name.encode("utf-8")
        flags = e.flags | (0 if e.name.isascii() else 0x0800)
        big = e.file_size > ZIP64_LIMIT or e.compress_size > ZIP64_LIMIT
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if big else (e.compress_size, e.file_size)
        extra = struct.pack("<HHQQ", 1, 16, e.file_size, e.compress_size) if big else b""
        self.out.write(_LOCAL.pack(b"PK\x03\x04", 45 if big else 20, flags, e.method, e.dos_time, e.dos_date, e.crc,
                                   *sizes, len(name), len(extra)))
        self.out.write(name)
        self.out.write(extra)
        shutil.copyfileobj(raw, self.out, 1 << 20)
        wide = [e.file_size, e.compress_size] if big else []
        if self.offset > ZIP64_LIMIT:
            wide.append(self.offset)
        central_extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        version = 45 if wide else 20
        self.central.append(_CENTRAL.pack(
            b"PK\x01\x02", self.system << 8 | version, version, flags, e.method, e.dos_time, e.dos_date, e.crc,
            *sizes, len(name), len(central_extra), 0, 0, 0, e.external_attr,
            0xFFFFFFFF if self.offset > ZIP64_LIMIT else self.offset) + name + central_extra)
        self.offset += _LOCAL.size + len(name) + len(extra) + e.compress_size

    def finish(self) -> None:
        """The central directory and its end records (zip64 ones past 65,535 members or ZIP64_LIMIT bytes)."""
        start, count = self.offset, len(self.central)
        for record in self.central:
            self.out.write(record)
        size = sum(map(len, self.central))
        if count > 0xFFFF or start > ZIP64_LIMIT or size > ZIP64_LIMIT:
            self.out.write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start))
            self.out.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, start + size, 1))
        self.out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                                   min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF), 0))
