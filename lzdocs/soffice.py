"""LibreOffice (soffice) headless: found on PATH or in the usual install folders, one profile per run, a timeout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lzdocs import interrupts
from lzdocs.errors import describe_os_error

WAIT_SLICE = 0.2  # seconds between looks at a Ctrl-C while LibreOffice converts (``_wait``)


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


def convert_to(soffice: str, files: list[Path], fmt: str, outdir: Path, profile: Path, timeout: float,
               env: Mapping[str, str] | None = None) -> Conversion:
    """``soffice --convert-to fmt`` with its own ``profile`` folder (two runs sharing one collide), in a throw-away
    folder that also takes LibreOffice's own temporary files.

    Runs in its own process group, killed with all its children after ``timeout`` seconds; ``env`` adds
    variables (``FONTCONFIG_FILE`` from :func:`font_substitution`)."""
    command = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", fmt, "--outdir", str(outdir),
               *map(str, files)]
    windows = sys.platform == "win32"
    options = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if windows  # type: ignore[attr-defined]
               else {"start_new_session": True})
    scratch = profile.parent / f"{profile.name}-tmp"  # LibreOffice's own temporary files, gone with the profile's
    scratch.mkdir(parents=True, exist_ok=True)  # folder even when it is killed (its lu*.tmp stayed in the user's)
    proc, env = None, {**os.environ, "SAL_USE_VCLPLUGIN": "svp", "TMPDIR": str(scratch), "TMP": str(scratch),
                       "TEMP": str(scratch), **(env or {})}
    try:
        with interrupts.deferred():  # Ctrl-C as it starts waits for the process, which is then stopped with it
            try:
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, env=env, **options)
            except OSError as exc:
                raise SofficeFailed(f"无法启动 LibreOffice：{describe_os_error(exc)}") from exc
        err = _wait(proc, timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, windows)
        raise SofficeTimeout(timeout) from None
    except BaseException:  # Ctrl-C: its own session never sees it, and it would write on into a folder that goes
        if proc is not None:
            _kill_group(proc, windows)
        raise
    result = Conversion(proc.returncode, err.decode("utf-8", "replace").strip()[-200:])
    if result.returncode != 0:
        raise SofficeFailed(result.stderr, result.returncode)
    return result


def _wait(proc: subprocess.Popen, timeout: float) -> bytes:
    """Its stderr once it ends; TimeoutExpired after ``timeout`` seconds, KeyboardInterrupt as soon as a Ctrl-C is
    noted after the work it converts was saved (``interrupts.stop_waiting``: no waiting out a batch's PDFs)."""
    return interrupts.wait_in_slices(lambda seconds: proc.communicate(timeout=seconds)[1], timeout,
                                     subprocess.TimeoutExpired, WAIT_SLICE)


def _kill_group(proc: subprocess.Popen, windows: bool) -> None:
    try:
        if windows:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()
    proc.communicate()


# --- fonts: the official names LibreOffice should draw with a free face when the real one is missing -------
# Nearest first: a 仿宋 or 楷体 face before any serif (宋) face, never a sans for them; 黑体 is a sans.
_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "思源宋体", "AR PL UMing CN",
          "AR PL SungtiL GB")
_SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "思源黑体", "WenQuanYi Zen Hei",
         "WenQuanYi Micro Hei", "Droid Sans Fallback")
SUBSTITUTES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("仿宋_GB2312", "仿宋", "FangSong", "FangSong_GB2312", "仿宋_GB18030"):
        ("仿宋_GB2312", "仿宋", "FangSong", "STFangsong", "华文仿宋", *_SERIF),
    ("楷体_GB2312", "楷体", "KaiTi", "KaiTi_GB2312"):
        ("楷体_GB2312", "楷体", "KaiTi", "STKaiti", "华文楷体", "AR PL UKai CN", "AR PL KaitiM GB", *_SERIF),
    ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S"):
        ("方正小标宋简体", "方正小标宋_GBK", "华文中宋", "STZhongsong", "Noto Serif CJK SC SemiBold", *_SERIF),
    ("宋体", "SimSun", "新宋体", "NSimSun"): ("宋体", "SimSun", "华文宋体", "STSong", *_SERIF),
    ("黑体", "SimHei"): ("黑体", "SimHei", "微软雅黑", "Microsoft YaHei", *_SANS),
}
# 小标宋 is a heavy Song face: its stand-in is drawn bold (only while no 小标宋 is installed).
HEAVY = ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S")
SYSTEM_FONTCONFIG = ("/etc/fonts/fonts.conf", "/usr/local/etc/fonts/fonts.conf", "/opt/homebrew/etc/fonts/fonts.conf")


def installed_families(run=subprocess.run) -> set[str] | None:
    """Every family name fontconfig knows (all languages), or None without fontconfig (Windows)."""
    if shutil.which("fc-list") is None:
        return None
    try:
        out = run(["fc-list", "--format", "%{family}\n"], capture_output=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in out.decode("utf-8", "replace").splitlines() for name in line.split(",")}


def substitutes(font: str, families: set[str]) -> list[str]:
    """The installed faces that stand in for ``font``, nearest first (empty for a font without a rule)."""
    candidates = next((c for names, c in SUBSTITUTES.items() if font in names), ())
    return [c for c in candidates if c != font and c in families]


def fontconfig_text(families: set[str], system_config: str) -> str | None:
    """A fonts.conf that includes the system's and adds, after each official name, the nearest installed free
    face; None when none of them is installed."""
    from xml.sax.saxutils import escape  # (with urllib and http.client: 17 ms every reader process would pay)

    aliases = []
    for names in SUBSTITUTES:
        for name in names:
            present = substitutes(name, families)[:2]
            accept = "".join(f"<family>{escape(c)}</family>" for c in present)
            if present:
                aliases.append(f'  <alias binding="same"><family>{escape(name)}</family>'
                               f"<accept>{accept}</accept></alias>")
            if present and name in HEAVY and not families.intersection(HEAVY):
                aliases.append(f'  <match target="pattern"><test name="family"><string>{escape(name)}</string>'
                               '</test><edit name="weight" mode="assign"><const>bold</const></edit></match>')
    if not aliases:
        return None
    return "\n".join(['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
                      "<fontconfig>", f'  <include ignore_missing="yes">{escape(system_config)}</include>',
                      *aliases, "</fontconfig>", ""])


def font_substitution(folder: Path) -> dict[str, str]:
    """``FONTCONFIG_FILE`` for a LibreOffice run: a fonts.conf written in ``folder`` mapping 仿宋_GB2312, 楷体,
    方正小标宋简体, 宋体 and 黑体 to installed free faces of the same kind. Empty without fontconfig."""
    system = os.environ.get("FONTCONFIG_FILE") or next((p for p in SYSTEM_FONTCONFIG if Path(p).is_file()), None)
    families = installed_families() if system else None
    text = fontconfig_text(families, system) if families else None
    if text is None:
        return {}
    path = Path(folder) / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return {"FONTCONFIG_FILE": str(path)}
