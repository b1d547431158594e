"""Hostile and broken files: each gets a clear Chinese error, the original is kept byte for byte, nothing leaks."""

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

from lzdocs.ingest import Ingest
from tests.conftest import REPO, cli_env

BOMB_SIZE = 400 * 2**20  # a worksheet that inflates past the 300 MB limit and the 300 MB the reader may use


def _ingest_one(ws, store, name: str, data: bytes):
    (ws.inbox / name).write_bytes(data)
    [out] = Ingest(ws, store).run_inbox()
    assert out.status == "rejected"
    assert (ws.rejected / name).read_bytes() == data  # the original, kept as it came
    assert (ws.rejected / f"{name}.错误说明.txt").is_file()
    return " ".join(p.message for p in out.errors)


def _rewrite(src: Path, dest: Path, replace: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, replace.get(item.filename, zin.read(item.filename)))
    return dest.read_bytes()


def test_zero_byte_file(workspace, store):
    assert "空的" in _ingest_one(workspace, store, "空.docx", b"")


def test_truncated_zip(workspace, store, make_form, tmp_path):
    data = make_form(tmp_path / "a.docx").read_bytes()
    message = _ingest_one(workspace, store, "半截.docx", data[: len(data) // 2])
    assert "损坏" in message and "重新" in message


def test_png_renamed_docx(workspace, store):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    message = _ingest_one(workspace, store, "照片.docx", png)
    assert "PNG 图片" in message and "另存为 .docx" in message


def test_password_protected_xlsx_is_named_as_encrypted(workspace, store, make_form, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_form(tmp_path / "p.xlsx")
    out = io.BytesIO()
    with open(plain, "rb") as fh:
        OOXMLFile(fh).encrypt("123456", out)
    message = _ingest_one(workspace, store, "加密.xlsx", out.getvalue())
    assert "密码" in message and "加密" in message


def test_legacy_doc_renamed_docx_is_not_called_encrypted(workspace, store, monkeypatch):
    import olefile  # noqa: F401  (the sniffer reads the OLE directory)

    monkeypatch.setattr("lzdocs.forms.legacy.find_soffice", lambda *a, **k: None)  # the sniffing, not the conversion

    fixture = REPO / "tests" / "fixtures" / "forms" / "lo_two_row_header.doc"  # a Word 97 form LibreOffice wrote
    (workspace.inbox / "旧表.doc").write_bytes(fixture.read_bytes())
    [out] = Ingest(workspace, store).run_inbox()
    assert "密码" not in json.dumps([p.message for p in out.problems], ensure_ascii=False)


def _with_external_entity(src: Path, part: str, root: str, secret: Path, dest: Path) -> bytes:
    """``src`` with ``part`` declaring an external entity on ``secret`` and using it in place of a risk text."""
    with zipfile.ZipFile(src) as z:
        body = z.read(part).decode("utf-8").split("?>", 1)[-1]
    evil = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            + body.replace("利用职务便利挪用公款", "&xxe;", 1))
    return _rewrite(src, dest, {part: evil.encode("utf-8")})


def _leaked(ws, marker: bytes) -> list[Path]:
    return [p for p in ws.root.rglob("*") if p.is_file() and marker in p.read_bytes()]


def test_external_entity_is_refused_and_its_target_never_read(workspace, store, make_form, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711", encoding="utf-8")
    data = _with_external_entity(make_form(tmp_path / "a.docx"), "word/document.xml", "w:document", secret,
                                 tmp_path / "evil.docx")
    message = _ingest_one(workspace, store, "实体.docx", data)
    assert "DTD" in message
    assert _leaked(workspace, b"TOP-SECRET-4711") == []


def test_external_entity_in_a_worksheet_is_refused(workspace, store, make_form, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4712", encoding="utf-8")
    data = _with_external_entity(make_form(tmp_path / "a.xlsx"), "xl/worksheets/sheet1.xml", "worksheet", secret,
                                 tmp_path / "evil.xlsx")
    _ingest_one(workspace, store, "实体.xlsx", data)
    assert _leaked(workspace, b"TOP-SECRET-4712") == []


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A real .xlsx whose worksheet inflates to 400 MB (about 2 MB on disk)."""
    from lzdocs.documents.blankform import write_xlsx
    from lzdocs.forms.schema import risk_kind

    folder = tmp_path_factory.mktemp("bomb")
    src = write_xlsx(risk_kind(), folder / "src.xlsx", unit="计划财务处")
    bomb = folder / "bomb.xlsx"
    row = b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"A" * 4000 + b"</t></is></c></row>"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for item in zin.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(item.filename, zin.read(item.filename))
        with zout.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     b'main"><sheetData>')
            chunk = row * 256
            for _ in range(BOMB_SIZE // len(chunk) + 1):
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    return bomb


def test_zip_bomb_is_rejected_within_seconds_and_small_memory(workspace, zip_bomb):
    data = zip_bomb.read_bytes()
    assert len(data) < 5 * 2**20
    (workspace.inbox / "炸弹.xlsx").write_bytes(data)
    # The real command, started by a small launcher: a child's peak memory would otherwise start at pytest's.
    from benchmarks.bench_memory import peak_of

    peak_mb, elapsed, code, stdout = peak_of([sys.executable, "-m", "lzdocs", "-w", str(workspace.root), "ingest",
                                              "--json"], workspace.root, cli_env())
    [out] = json.loads(stdout)
    assert code == 1 and out["status"] == "rejected"
    assert "解压后过大" in out["problems"][0]["message"]
    assert peak_mb < 300, f"peak {peak_mb:.0f} MB"
    assert elapsed < 20, f"took {elapsed:.1f} s"
    assert (workspace.rejected / "炸弹.xlsx").read_bytes() == data


def _form_with(make_form, path: Path, cell: str, value=None, bold=False) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    make_form(path)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws[cell] = value
    if bold:
        ws[cell].font = Font(bold=True)
    wb.save(path)
    return path.read_bytes()


def test_a_value_far_below_the_form_is_refused_with_its_cell(workspace, store, make_form, tmp_path):
    data = _form_with(make_form, tmp_path / "a.xlsx", "C20000", "多余的文字")
    message = _ingest_one(workspace, store, "计财处.xlsx", data)
    assert message.startswith("工作表“岗位风险分析和防控措施表”在第 10000 行以下还有内容（单元格 C20000）")
    explanation = (workspace.rejected / "计财处.xlsx.错误说明.txt").read_text(encoding="utf-8")
    assert "单元格 C20000" in explanation and "复制到一个新的工作簿" in explanation


def test_a_formatted_empty_cell_far_away_does_not_count(workspace, store, make_form, tmp_path):
    (workspace.inbox / "计财处.xlsx").write_bytes(_form_with(make_form, tmp_path / "a.xlsx", "GQ1000000", bold=True))
    [out] = Ingest(workspace, store).run_inbox()
    assert (out.status, out.rows) == ("accepted", 3)


def test_the_row_limit_is_a_setting(workspace, store, make_form, tmp_path):
    workspace.settings.raw.setdefault("limits", {})["max_rows"] = 5
    message = _ingest_one(workspace, store, "计财处.xlsx", make_form(tmp_path / "a.xlsx").read_bytes())
    assert "在第 5 行以下还有内容（单元格 A6）" in message and "最多读取 5 行、50 列" in message


@pytest.mark.slow
def test_a_million_sparse_rows_are_refused_quickly_in_small_memory(tmp_path):
    from benchmarks.bench_memory import ingest, sparse_million_rows

    path = sparse_million_rows(tmp_path / "稀疏.xlsx")
    assert path.stat().st_size > 15 * 2**20  # about 20 MB, 90 MB unpacked: within the zip limits
    run = ingest(path, tmp_path)
    assert run.status == "rejected"
    assert "在第 10000 行以下还有内容（单元格 B10001）" in run.message
    assert run.peak_mb < 300, f"peak {run.peak_mb:.0f} MB"
    assert run.seconds < 20, f"took {run.seconds:.1f} s"


@pytest.mark.slow
def test_a_million_formatted_empty_rows_are_read_in_small_memory(tmp_path):
    from benchmarks.bench_memory import ingest, sparse_empty_rows

    run = ingest(sparse_empty_rows(tmp_path / "稀疏.xlsx"), tmp_path)
    assert run.status == "accepted"
    assert run.peak_mb < 300, f"peak {run.peak_mb:.0f} MB"
    assert run.seconds < 60, f"took {run.seconds:.1f} s"  # every row must be looked at; 10–20 s on this machine


def _word_form_padded(make_form, tmp_path: Path, padding: bytes) -> Path:
    """A filled Word form whose document.xml carries ``padding`` (paragraphs) after the table."""
    from lzdocs.ooxml.package import rewrite_package

    src = make_form(tmp_path / "src.docx")
    dest = tmp_path / "计财处.docx"
    edit = {"word/document.xml": lambda xml: xml.replace(b"<w:sectPr", padding + b"<w:sectPr", 1)}
    with open(dest, "wb") as fh:
        rewrite_package(src, fh, edit)
    return dest


def _hanzi(count: int, seed: int = 1) -> str:
    """Text that does not compress much (a repeated one would trip the zip-ratio guard first)."""
    import random

    alphabet = "".join(chr(0x4E00 + i) for i in range(20000))
    block = "".join(random.Random(seed).choices(alphabet, k=min(count, 1 << 18)))  # far wider than deflate's window
    return (block * (count // len(block) + 1))[:count]


def test_a_word_form_too_large_to_read_as_a_tree_is_refused(workspace, store, make_form, tmp_path):
    padded = _word_form_padded(make_form, tmp_path, f"<w:p><w:r><w:t>{_hanzi(4_400_000)}</w:t></w:r></w:p>".encode())
    message = _ingest_one(workspace, store, "计财处.docx", padded.read_bytes())
    assert message.startswith("文件内部“word/document.xml”有 13 MB，远超一张表格应有的大小（12 MB）")


@pytest.mark.slow
def test_the_largest_word_part_read_as_a_tree_stays_in_small_memory(make_form, tmp_path):
    from benchmarks.bench_memory import ingest

    words = _hanzi(1_000_000)
    paragraphs = "".join(f"<w:p><w:r><w:rPr><w:rFonts w:eastAsia=\"仿宋\"/></w:rPr>"
                         f"<w:t>{words[i:i + 8]}</w:t></w:r></w:p>"
                         for i in range(0, len(words), 8))
    padded = _word_form_padded(make_form, tmp_path, paragraphs.encode()[: 11 * 2**20].rsplit(b"<w:p>", 1)[0])
    run = ingest(padded, tmp_path)
    assert run.status == "accepted"
    assert run.peak_mb < 300, f"peak {run.peak_mb:.0f} MB"
