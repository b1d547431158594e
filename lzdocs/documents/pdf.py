"""PDF export through LibreOffice (soffice): found on PATH or in the usual install folders, own profile, timeout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from lzdocs.errors import LzdocsError
from lzdocs.forms.legacy import find_soffice  # on PATH or in the usual install folders
from lzdocs.fsutil import unique_path

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
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf", "--outdir", str(made), *map(str, documents)]
        _run(command, timeout)
        results = []
        for doc in documents:
            pdf = made / f"{doc.stem}.pdf"
            if not pdf.is_file():
                raise PdfError(f"LibreOffice 没能把 {doc.name} 转换为 PDF", hint="请用 WPS/Word 打开该文档后另存为 PDF")
            target = unique_path(outdir, doc.stem, ".pdf")
            shutil.move(str(pdf), target)
            results.append(target)
        return results


def _run(command: list[str], timeout: float) -> None:
    """Run soffice in its own process group, so a hung conversion can be killed with all its children."""
    kwargs: dict = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp"}
    try:
        proc = subprocess.Popen(command, env=env, **kwargs)
    except OSError as exc:
        raise PdfError(f"无法启动 LibreOffice：{exc}", hint="请检查 LibreOffice 是否安装完整") from exc
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise PdfError(f"LibreOffice 转换 PDF 超过 {timeout:g} 秒仍未完成，已停止",
                       hint="文档可能有问题，或电脑较忙；可稍后重试，或用 WPS/Word 另存为 PDF") from None
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip()[-200:]
        raise PdfError(f"LibreOffice 转换 PDF 失败（退出码 {proc.returncode}）{('：' + detail) if detail else ''}")


def _kill(proc: subprocess.Popen) -> None:
    try:
        if sys.platform == "win32":
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass
    proc.communicate()
