"""LibreOffice (soffice) headless: found on PATH or in the usual install folders, one profile per run, a timeout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class SofficeTimeout(Exception):
    """soffice ran longer than allowed; it and its children were killed."""


class SofficeFailed(Exception):
    """soffice could not start, or exited with an error."""

    def __init__(self, message: str, returncode: int | None = None):
        super().__init__(message)
        self.returncode = returncode


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


@dataclass(frozen=True)
class Conversion:
    returncode: int
    stderr: str


def convert_to(soffice: str, files: list[Path], fmt: str, outdir: Path, profile: Path, timeout: float) -> Conversion:
    """``soffice --convert-to fmt`` with its own ``profile`` folder (two runs sharing one collide).

    Runs in its own process group, killed with all its children after ``timeout`` seconds."""
    command = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", fmt, "--outdir", str(outdir),
               *map(str, files)]
    windows = sys.platform == "win32"
    options = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if windows  # type: ignore[attr-defined]
               else {"start_new_session": True})
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"}, **options)
    except OSError as exc:
        raise SofficeFailed(f"无法启动 LibreOffice：{exc}") from exc
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, windows)
        raise SofficeTimeout(timeout) from None
    result = Conversion(proc.returncode, err.decode("utf-8", "replace").strip()[-200:])
    if result.returncode != 0:
        raise SofficeFailed(result.stderr, result.returncode)
    return result


def _kill_group(proc: subprocess.Popen, windows: bool) -> None:
    try:
        if windows:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()
    proc.communicate()
