"""Rewriting a zip package: the one function that templates, registers, the 公示表, the demo and the tools use."""

from __future__ import annotations

import io
import struct
import zipfile

import docx
import pytest

from lzdocs.ooxml import package
from lzdocs.ooxml.package import rewrite_package

TIME = (2026, 1, 1, 0, 0, 0)


def a_document(text: str = "2026年11月5日") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rewritten(data: bytes, parts=None, **kw) -> bytes:
    out = io.BytesIO()
    rewrite_package(io.BytesIO(data), out, parts, **kw)
    return out.getvalue()


def members(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_every_member_is_copied_in_order_with_its_content():
    data = a_document()
    with members(data) as before:
        after = members(rewritten(data))
        assert after.namelist() == before.namelist()
        assert all(after.read(n) == before.read(n) for n in before.namelist())
        assert after.testzip() is None


def test_a_part_is_replaced_edited_or_streamed():
    data = a_document()
    typed = "5日（二〇二六年十一月五日）".encode()
    out = rewritten(data, {"docProps/app.xml": b"<new/>",
                           "word/document.xml": lambda xml: xml.replace("5日".encode(), typed),
                           "word/settings.xml": lambda xml: (chunk for chunk in (b"<a>", b"x" * 100_000, b"</a>")),
                           "word/no-such-part.xml": b"ignored"})
    after = members(out)
    assert after.read("docProps/app.xml") == b"<new/>"
    assert "二〇二六年十一月五日" in docx.Document(io.BytesIO(out)).paragraphs[0].text
    assert after.read("word/settings.xml") == b"<a>" + b"x" * 100_000 + b"</a>"
    assert "word/no-such-part.xml" not in after.namelist()


def test_a_dropped_part_goes_with_its_relationships_and_content_type():
    data = a_document()
    assert "word/stylesWithEffects.xml" in members(data).namelist()
    out = rewritten(data, {"word/stylesWithEffects.xml": None, "docProps/thumbnail.jpeg": None})
    after = members(out)
    assert "word/stylesWithEffects.xml" not in after.namelist()
    assert b"stylesWithEffects" not in after.read("word/_rels/document.xml.rels")
    assert b"stylesWithEffects" not in after.read("[Content_Types].xml")
    assert b"thumbnail" not in after.read("_rels/.rels")
    assert docx.Document(io.BytesIO(out)).paragraphs[0].text == "2026年11月5日"


def test_fixed_times_and_permissions_make_the_output_reproducible():
    first, second = io.BytesIO(), io.BytesIO()
    data = a_document()
    rewrite_package(io.BytesIO(data), first, date_time=TIME, mode=0o644)
    rewrite_package(io.BytesIO(first.getvalue()), second, date_time=TIME, mode=0o644)
    assert first.getvalue() == second.getvalue()
    info = zipfile.ZipFile(first).infolist()[0]
    assert info.date_time == TIME and info.external_attr == 0o644 << 16


def test_a_file_is_rewritten_in_place_from_its_bytes(tmp_path):
    path = tmp_path / "表.docx"
    path.write_bytes(a_document())
    rewrite_package(io.BytesIO(path.read_bytes()), path, {"docProps/app.xml": b"<x/>"})
    assert zipfile.ZipFile(path).read("docProps/app.xml") == b"<x/>"



def test_unchanged_members_keep_their_compressed_bytes_and_are_checked():
    data = a_document()
    out = rewritten(data, {"docProps/app.xml": b"<x/>"})
    with members(data) as before, members(out) as after:
        same = before.getinfo("word/styles.xml")
        assert after.getinfo("word/styles.xml").compress_size == same.compress_size
        start = same.header_offset + 30 + len("word/styles.xml")
    corrupt = bytearray(data)
    corrupt[start + same.compress_size // 2] ^= 0xFF  # inside the compressed styles.xml (no extra field here)
    with pytest.raises(zipfile.BadZipFile):
        rewritten(bytes(corrupt))


def test_sizes_and_offsets_past_the_limit_go_in_zip64_records(monkeypatch):
    monkeypatch.setattr(package, "ZIP64_LIMIT", 100)
    out = rewritten(a_document(), {"word/settings.xml": lambda xml: [b"<a>", b"x" * 500, b"</a>"]})
    with members(out) as after:
        assert after.testzip() is None
        assert after.read("word/settings.xml") == b"<a>" + b"x" * 500 + b"</a>"
    assert b"PK\x06\x06" in out  # the zip64 end of central directory


def _zip(*members: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def test_an_empty_member_with_no_compressed_bytes_is_copied():
    """APPNOTE 4.3.8: an empty file may carry no data at all, deflated or not; zipfile reads it as b''."""
    data = bytearray(_zip(("a.xml", b"<a/>"), ("empty.xml", b""), method=zipfile.ZIP_STORED))
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # empty.xml's method made deflated, no data
        position = data.rfind(signature) + at
        data[position:position + 2] = (8).to_bytes(2, "little")
    with members(rewritten(bytes(data))) as after:
        assert after.read("empty.xml") == b"" and after.read("a.xml") == b"<a/>" and after.testzip() is None


def test_a_directory_entry_that_names_another_members_data_is_refused():
    """Two directory entries sharing one member's data (a zip-bomb trick): refused as zipfile refuses to read it."""
    data = _zip(("a.xml", b"<a>" + b"x" * 100 + b"</a>"))
    start, end = data.find(b"PK\x01\x02"), data.find(b"PK\x05\x06")
    entry = data[start:end]
    twice = data[:start] + entry + entry.replace(b"a.xml", b"c.xml") + struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, 2 * len(entry), start, 0)
    with pytest.raises(zipfile.BadZipFile, match="c.xml"):
        rewritten(twice)


def test_damaged_compressed_data_is_a_bad_zip_naming_the_member():
    data = bytearray(_zip(("a.xml", b"<a>" + bytes(range(256)) * 20 + b"</a>")))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("a.xml")
    start = info.header_offset + 30 + len("a.xml")
    data[start:start + info.compress_size] = b"\xff" * info.compress_size  # not a deflate stream at all
    with pytest.raises(zipfile.BadZipFile, match="a.xml"):
        rewritten(bytes(data))


def test_a_package_written_after_other_bytes_has_offsets_from_the_start_of_the_file():
    out = io.BytesIO()
    out.write(b"#!something before the zip\n")
    rewrite_package(io.BytesIO(a_document()), out)
    data = out.getvalue()
    end = data.rfind(b"PK\x05\x06")
    directory = struct.unpack("<I", data[end + 16:end + 20])[0]  # where the end record says the directory starts
    first = struct.unpack("<I", data[directory + 42:directory + 46])[0]  # where the first entry says its data is
    assert data[directory:directory + 4] == b"PK\x01\x02" and data[first:first + 4] == b"PK\x03\x04"
    with zipfile.ZipFile(io.BytesIO(data)) as after:
        assert after.testzip() is None
