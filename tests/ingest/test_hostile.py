"""Hostile and broken files: each gets a clear Chinese error, the original is kept byte for byte, nothing leaks."""

import io
import json
import subprocess
import sys
import time
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

    fixture = next((REPO / "tests" / "fixtures").rglob("*.doc"), None)
    if fixture is None:
        pytest.skip("没有 .doc 样本文件")
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
    # Run the real command in a child that reports its own peak memory.
    script = ("import resource, sys\nfrom lzdocs.cli import main\nsys.argv = ['lzdocs', '-w', sys.argv[1], 'ingest', '--json']\n"
              "try:\n    main()\nfinally:\n    sys.stderr.write('MAXRSS=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script, str(workspace.root)], capture_output=True, text=True,
                          env=cli_env(), timeout=120, encoding="utf-8")
    elapsed = time.monotonic() - started
    [out] = json.loads(proc.stdout)
    assert proc.returncode == 1 and out["status"] == "rejected"
    assert "解压后过大" in out["problems"][0]["message"]
    peak_mb = int(proc.stderr.rsplit("MAXRSS=", 1)[1]) / 1024
    assert peak_mb < 300, f"peak {peak_mb:.0f} MB"
    assert elapsed < 20, f"took {elapsed:.1f} s"
    assert (workspace.rejected / "炸弹.xlsx").read_bytes() == data
