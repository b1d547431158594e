"""Old .doc/.xls files: converted to .docx/.xlsx by LibreOffice (soffice), each run with its own profile."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lzdocs.errors import RejectedFile, error
from lzdocs.fsutil import scratch_folder
from lzdocs.soffice import SofficeFailed, SofficeTimeout, convert_to, find_soffice

FILTERS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
LEGACY = {"docx": ".doc", "xlsx": ".xls"}


def convert(path: Path, target: str, timeout: float = 60, *, soffice: str | None = None,
            outdir: Path | None = None) -> Path:
    """Convert a .doc/.xls to ``target`` ("docx" or "xlsx") and return the new file.

    The result is written to ``outdir``, or to a new temporary folder that the caller removes.
    Each run has its own LibreOffice profile (two conversions at once would collide otherwise)
    and is killed, with its whole process group, when it exceeds ``timeout`` seconds.
    """
    if target not in FILTERS:
        raise ValueError(f"target must be docx or xlsx, not {target!r}")
    soffice = soffice or find_soffice()
    if not soffice:
        raise soffice_missing(target)
    outdir = Path(outdir) if outdir else Path(tempfile.mkdtemp(prefix="lzdocs-convert-"))
    outdir.mkdir(parents=True, exist_ok=True)
    with scratch_folder("lzdocs-soffice-") as work:
        source = work / f"input{LEGACY[target]}"  # a plain name: soffice names its output after the input
        shutil.copyfile(path, source)
        try:
            convert_to(soffice, [source], FILTERS[target], work / "out", work / "profile", timeout)
        except SofficeTimeout:
            raise RejectedFile(error(f"旧格式 {LEGACY[target]} 文件转换超时（超过 {timeout:g} 秒），文件可能已损坏；"
                                     f"请用 WPS 或 Word/Excel 打开后另存为 .{target} 再报送")) from None
        except SofficeFailed as exc:
            code = f"（LibreOffice 返回 {exc.returncode}）" if exc.returncode is not None else ""
            raise RejectedFile(error(f"旧格式 {LEGACY[target]} 文件转换失败{code}；"
                                     f"请用 WPS 或 Word/Excel 打开后另存为 .{target} 再报送")) from None
        produced = work / "out" / f"input.{target}"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise RejectedFile(error(f"旧格式 {LEGACY[target]} 文件无法转换（可能已损坏或不是 Word/Excel 文件）；"
                                     f"请用 WPS 或 Word/Excel 打开后另存为 .{target} 再报送"))
        result = outdir / f"{Path(path).stem}.{target}"
        shutil.move(str(produced), result)
    return result


def soffice_missing(target: str) -> RejectedFile:
    return RejectedFile(error(
        f"这是旧格式 {LEGACY[target]} 文件，本机没有安装 LibreOffice，无法自动转换；"
        f"请用 WPS 或 Word/Excel 打开该文件，选择“文件→另存为”，保存类型选 .{target} 后重新报送"))
