"""read_form: the real type decides the reader, old formats go through a conversion that leaves nothing behind."""

import datetime as dt
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from lzdocs.errors import RejectedFile
from lzdocs.forms.reader import read_form
from lzdocs.forms.schema import load_kinds
from lzdocs.ooxml.safety import Limits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
KINDS = load_kinds()


def test_docx_and_xlsx_are_dispatched_to_their_readers():
    assert read_form(FIXTURES / "word_nested.docx", KINDS, Limits()).unit == "党政办公室"
    assert read_form(FIXTURES / "excel_serial.xlsx", KINDS, Limits()).unit == "国有资产管理处"


def test_each_form_is_opened_once_and_closed_whatever_its_end(tmp_path, opened_zips):
    """The zip's directory is read once for both the sniff and the reading (``sniff_package``), and closed after a
    form read, after a form refused, and after a zip that is no form at all."""
    import zipfile

    opened = opened_zips
    assert read_form(FIXTURES / "word_nested.docx", KINDS, Limits()).unit == "党政办公室"
    assert read_form(FIXTURES / "excel_serial.xlsx", KINDS, Limits()).unit == "国有资产管理处"
    assert len(opened) == 2
    slides = tmp_path / "汇报.pptx"
    with zipfile.ZipFile(slides, "w") as zf:
        zf.writestr("ppt/presentation.xml", "<p/>")
    with pytest.raises(RejectedFile, match="PowerPoint"):
        read_form(slides, KINDS, Limits())
    with pytest.raises(RejectedFile, match="最多"):
        read_form(FIXTURES / "excel_serial.xlsx", KINDS, Limits(max_rows=3))
    assert len(opened) == 5 and all(zf.fp is None for zf in opened)  # (the .pptx written here is one of them)


def test_the_content_decides_not_the_extension(tmp_path):
    misnamed = tmp_path / "风险表.xlsx"
    shutil.copyfile(FIXTURES / "word_layout.docx", misnamed)
    form = read_form(misnamed, KINDS, Limits())
    assert form.unit == "人事处" and form.where == "第3个表格"


def test_a_picture_named_docx_is_rejected_before_reading(tmp_path):
    fake = tmp_path / "表.docx"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(RejectedFile) as exc:
        read_form(fake, KINDS, Limits())
    assert "PNG 图片" in exc.value.problems[0].message


def stand_in_soffice(tmp_path, monkeypatch) -> Path:
    """A stand-in soffice that 'converts' by copying a .docx: read_form's own steps, without LibreOffice.
    Returns the folder used as the temporary directory."""
    bin_dir, tmp = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    tmp.mkdir()
    exe = bin_dir / "soffice"
    exe.write_text("#!/bin/sh\n"
                   'for a; do case "$a" in --outdir) next=1;; *) [ "$next" = 1 ] && out="$a"; next=0;; esac; done\n'
                   f'mkdir -p "$out" && cp "{FIXTURES / "word_runs_sdt.docx"}" "$out/input.docx"\n', encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")  # the stand-in comes first
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.mark.skipif(sys.platform == "win32", reason="假 soffice 用 shell 脚本")
def test_old_doc_is_read_through_conversion_and_temp_files_are_removed(tmp_path, monkeypatch):
    tmp = stand_in_soffice(tmp_path, monkeypatch)
    form = read_form(FIXTURES / "lo_two_row_header.doc", KINDS, Limits(), soffice_timeout=30)
    assert form.unit == "纪委办公室" and form.date_value == dt.date(2011, 11, 8)
    assert form.problems[0].severity == "warning" and "另存为 .docx" in form.problems[0].message
    assert list(tmp.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="假 soffice 用 shell 脚本")
def test_a_wps_file_is_converted_and_the_warning_names_its_own_format(tmp_path, monkeypatch):
    stand_in_soffice(tmp_path, monkeypatch)
    wps = tmp_path / "纪委办公室.wps"
    shutil.copyfile(FIXTURES / "lo_two_row_header.doc", wps)  # WPS's .wps is Word 97's binary format
    form = read_form(wps, KINDS, Limits(), soffice_timeout=30)
    assert form.unit == "纪委办公室"
    assert form.problems[0].message == "旧格式 .wps 文件已自动转换为 .docx 读取；以后请另存为 .docx 报送"


_TEXT = re.compile(r">([^<&\s])([^<]+)<")  # an element's text of two characters or more, not starting with an entity


@pytest.mark.parametrize("fixture", ["word_nested.docx", "word_page_header.docx", "lo_merged.xlsx",
                                     "excel_serial.xlsx", "lo_title_alias.xlsx"])
def test_a_comment_or_an_instruction_within_a_text_reads_as_office_reads_it(tmp_path, fixture):
    """Office ignores an XML comment or processing instruction wherever it stands: ``科学<!---->技术处`` is 科学技术处,
    in a Word document, its page header, a sheet or the shared strings — never a unit of 科学, or a header cut short."""
    import zipfile

    crafted = tmp_path / fixture
    with zipfile.ZipFile(FIXTURES / fixture) as src, zipfile.ZipFile(crafted, "w") as dst:
        for n, info in enumerate(src.infolist()):
            data = src.read(info)
            if info.filename.endswith(".xml") and info.filename.startswith(("word/", "xl/")):
                cut = "<!-- -->" if n % 2 else "<?lzdocs x?>"
                data = _TEXT.sub(lambda m, cut=cut: f">{m[1]}{cut}{m[2]}<", data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    original, read = read_form(FIXTURES / fixture, KINDS, Limits()), read_form(crafted, KINDS, Limits())
    assert read == original and read.rows


@pytest.mark.parametrize("fixture, part", [("word_nested.docx", "word/document.xml"),
                                           ("excel_serial.xlsx", "xl/workbook.xml")])
def test_a_part_declaring_entities_is_refused(tmp_path, fixture, part):
    import zipfile

    hostile = tmp_path / fixture
    with zipfile.ZipFile(FIXTURES / fixture) as src, zipfile.ZipFile(hostile, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                doctype = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
                data = data.replace(b"?>", b"?>" + doctype, 1) if b"?>" in data else doctype + data
            dst.writestr(info, data)
    with pytest.raises(RejectedFile) as exc:
        read_form(hostile, KINDS, Limits())
    assert "DTD" in exc.value.problems[0].message
