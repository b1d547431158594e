"""Where a PDF from LibreOffice lands: under the document's name, never over a file — not even one that another
program put there while LibreOffice converted."""

from __future__ import annotations

import shutil

import pytest
from docx import Document

from lzdocs.documents import pdf as P

pytestmark = pytest.mark.soffice


def _docx(path):
    document = Document()
    document.add_paragraph("关于开展廉政风险点排查工作的通知")
    document.save(str(path))
    return path


def test_a_file_put_at_the_pdf_s_name_meanwhile_is_kept_and_the_pdf_takes_the_next_name(tmp_path, monkeypatch):
    """The name was chosen free, then the PDF moved onto it: a file that appeared in between was replaced."""
    doc = _docx(tmp_path / "通知.docx")
    out = tmp_path / "out"
    theirs = b"%PDF-1.4 the clerk's own\n"
    real = shutil.copyfile

    def copy_after_the_clerk(src, dst, **kw):
        (out / "通知.pdf").write_bytes(theirs)  # saved by another program as the PDF is placed
        return real(src, dst, **kw)

    monkeypatch.setattr(P.shutil, "copyfile", copy_after_the_clerk)
    [made] = P.to_pdf_many([doc], out)
    assert made == out / "通知_01.pdf" and made.read_bytes().startswith(b"%PDF")
    assert (out / "通知.pdf").read_bytes() == theirs
    assert sorted(p.name for p in out.iterdir()) == ["通知.pdf", "通知_01.pdf"]  # no hidden partial left


def test_pdfs_can_be_given_their_own_names(tmp_path):
    docs = [_docx(tmp_path / "甲.docx"), _docx(tmp_path / "乙.docx")]
    made = P.to_pdf_many(docs, tmp_path / "out", stems=["甲（定稿）", "乙"])
    assert [p.name for p in made] == ["甲（定稿）.pdf", "乙.pdf"]
