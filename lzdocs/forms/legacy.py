"""Old .doc/.xls files: converted to .docx/.xlsx by LibreOffice (soffice), each run with its own profile."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable

from lzdocs.errors import RejectedFile, error

FILTERS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
LEGACY = {"docx": ".doc", "xlsx": ".xls"}


def install_folders() -> list[Path]:
    """Where LibreOffice is usually installed on Windows, macOS and Linux."""
    folders = [Path("/Applications/LibreOffice.app/Contents/MacOS"), Path("/usr/lib/libreoffice/program"),
               Path("/usr/lib64/libreoffice/program"), Path("/usr/local/bin"), Path("/snap/bin"),
               Path("/opt/homebrew/bin")]
    folders += sorted(Path("/opt").glob("libreoffice*/program"), reverse=True)
    for var in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"):
        if os.environ.get(var):
            folders.append(Path(os.environ[var]) / "LibreOffice" / "program")
    return folders


def find_soffice(path_env: str | None = None, folders: Iterable[Path] | None = None) -> str | None:
    """The soffice executable: on PATH (``path_env`` overrides $PATH), else in the usual install folders."""
    for name in ("soffice", "libreoffice", "soffice.exe", "soffice.com"):
        found = shutil.which(name, path=path_env)
        if found:
            return found
    for folder in install_folders() if folders is None else folders:
        for name in ("soffice", "soffice.com", "soffice.exe", "libreoffice"):  # .com waits for the conversion
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


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
    with tempfile.TemporaryDirectory(prefix="lzdocs-soffice-") as work:
        work = Path(work)
        source = work / f"input{LEGACY[target]}"  # a plain name: soffice names its output after the input
        shutil.copyfile(path, source)
        command = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nologo", "--nodefault", "--nolockcheck", "--convert-to", FILTERS[target],
                   "--outdir", str(work / "out"), str(source)]
        _run(command, timeout, target)
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


def _run(command: list[str], timeout: float, target: str) -> None:
    """Run soffice in its own process group; kill the group on timeout."""
    windows = sys.platform == "win32"
    options = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if windows  # type: ignore[attr-defined]
               else {"start_new_session": True})
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, **options) as proc:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc, windows)
            proc.wait()
            raise RejectedFile(error(f"旧格式 {LEGACY[target]} 文件转换超时（超过 {timeout:g} 秒），文件可能已损坏；"
                                     f"请用 WPS 或 Word/Excel 打开后另存为 .{target} 再报送")) from None
    if proc.returncode != 0:
        raise RejectedFile(error(f"旧格式 {LEGACY[target]} 文件转换失败（LibreOffice 返回 {proc.returncode}）；"
                                 f"请用 WPS 或 Word/Excel 打开后另存为 .{target} 再报送"))


def _kill_group(proc: subprocess.Popen, windows: bool) -> None:
    try:
        if windows:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()
