"""PDF export through LibreOffice (soffice): found on PATH or in the usual install folders, own profile, timeout."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lzdocs.errors import LzdocsError
from lzdocs.fsutil import unique_path
from lzdocs.soffice import SofficeFailed, SofficeTimeout, convert_to, find_soffice

DEFAULT_TIMEOUT = 120
NOT_FOUND = "未找到 LibreOffice（soffice），没有生成 PDF；请安装 LibreOffice，或用 WPS/Word 打开文档后另存为 PDF"

class PdfError(LzdocsError):
    """LibreOffice is missing, failed or timed out while converting to PDF."""


def to_pdf(docx: Path, outdir: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Convert one document; the PDF lands in ``outdir`` next to nothing it could overwrite. Returns its path."""
    return to_pdf_many([docx], outdir, timeout)[0]


def to_pdf_many(documents: list[Path], outdir: Path, timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Convert several documents in one LibreOffice run (much faster than one run each).

    Each run gets its own throw-away profile, so two conversions never collide; the PDFs are made in a
    temporary folder and then moved into ``outdir`` under a name that is not taken yet.
    """
    soffice = find_soffice()
    if soffice is None:
        raise PdfError(NOT_FOUND)
    documents = [Path(d).resolve() for d in documents]
    if len({d.stem for d in documents}) < len(documents):  # soffice names its output after the input's stem
        return [to_pdf_many([d], outdir, timeout)[0] for d in documents]
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lzdocs-pdf-") as tmp:
        profile, made = Path(tmp) / "profile", Path(tmp) / "out"
        try:
            convert_to(soffice, documents, "pdf", made, profile, timeout)
        except SofficeTimeout:
            raise PdfError(f"LibreOffice 转换 PDF 超过 {timeout:g} 秒仍未完成，已停止",
                           hint="文档可能有问题，或电脑较忙；可稍后重试，或用 WPS/Word 另存为 PDF") from None
        except SofficeFailed as exc:
            code = f"（退出码 {exc.returncode}）" if exc.returncode is not None else ""
            detail = str(exc)
            raise PdfError(f"LibreOffice 转换 PDF 失败{code}{('：' + detail) if detail else ''}",
                           hint="请检查 LibreOffice 是否安装完整，或用 WPS/Word 打开文档后另存为 PDF") from None
        results = []
        for doc in documents:
            pdf = made / f"{doc.stem}.pdf"
            if not pdf.is_file():
                raise PdfError(f"LibreOffice 没能把 {doc.name} 转换为 PDF", hint="请用 WPS/Word 打开该文档后另存为 PDF")
            target = unique_path(outdir, doc.stem, ".pdf")
            shutil.move(str(pdf), target)
            results.append(target)
        return results
