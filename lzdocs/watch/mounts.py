"""Is the inbox on a network share? (inotify and friends see nothing written there by other machines.)"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

NETWORK_FS = {"cifs", "smb3", "smbfs", "smb2", "nfs", "nfs4", "9p", "afs", "ceph", "glusterfs", "lustre", "ncpfs",
              "davfs", "vboxsf", "vmhgfs", "virtiofs", "sshfs", "gpfs", "beegfs", "ocfs2", "gfs2"}
DRIVE_REMOTE = 4


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str


@dataclass(frozen=True)
class Placement:
    """Where the inbox lives: ``network`` decides polling; ``detail`` says why, for the log."""

    network: bool
    detail: str


def is_network_fs(fstype: str) -> bool:
    fstype = fstype.lower()
    return fstype in NETWORK_FS or fstype.startswith("fuse.")


def _unescape(field: str) -> str:
    r"""Mount points in /proc escape space, tab, newline and backslash as octal (\040)."""
    out, i = bytearray(), 0
    raw = field.encode("utf-8", "surrogateescape")
    while i < len(raw):
        if raw[i:i + 1] == b"\\" and raw[i + 1:i + 4].isdigit() and len(raw[i + 1:i + 4]) == 3:
            out.append(int(raw[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_mountinfo(text: str) -> list[Mount]:
    """/proc/self/mountinfo: ``id parent dev root point opts [optional…] - fstype source superopts``."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if sep and len(fields) >= 5 and tail:
            mounts.append(Mount(_unescape(fields[4]), tail[0]))
    return mounts


def parse_mounts(text: str) -> list[Mount]:
    """/proc/mounts (the fallback): ``source point fstype opts dump pass``."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            mounts.append(Mount(_unescape(fields[1]), fields[2]))
    return mounts


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount holding ``path``: the longest mount point above it (the later one wins on ties, as in the kernel)."""
    best, best_len = None, -1
    for mount in mounts:
        point = mount.point if mount.point == "/" else mount.point.rstrip("/")
        inside = point == "/" or path == point or path.startswith(point + "/")
        if inside and len(point) >= best_len:
            best, best_len = mount, len(point)
    return best


def _existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _linux_mounts() -> list[Mount]:
    for name, parse in (("/proc/self/mountinfo", parse_mountinfo), ("/proc/mounts", parse_mounts)):
        try:
            return parse(Path(name).read_text(encoding="utf-8", errors="surrogateescape"))
        except OSError:
            continue
    return []


def _windows_placement(path: Path) -> Placement:
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return Placement(True, "UNC 网络路径")
    drive = os.path.splitdrive(os.path.abspath(text))[0]
    if not drive:
        return Placement(False, "本地路径")
    try:
        import ctypes

        kind = ctypes.windll.kernel32.GetDriveTypeW(drive + "\\")
    except (AttributeError, OSError):
        return Placement(False, "无法判断驱动器类型，按本地处理")
    if kind == DRIVE_REMOTE:
        return Placement(True, f"网络驱动器 {drive}")
    return Placement(False, f"本地驱动器 {drive}")


def placement(path: Path) -> Placement:
    """Where ``path`` (or, when missing, its nearest existing parent) lives."""
    if sys.platform == "win32":
        return _windows_placement(path)
    if str(path).startswith("//"):
        return Placement(True, "网络路径")
    mounts = _linux_mounts()
    if not mounts:
        return Placement(False, "无法读取挂载信息，按本地处理")
    real = os.path.realpath(_existing(path))
    mount = mount_of(real, mounts)
    if mount is None:
        return Placement(False, "未找到所在挂载点，按本地处理")
    kind = "网络文件系统" if is_network_fs(mount.fstype) else "本地文件系统"
    return Placement(is_network_fs(mount.fstype), f"{kind} {mount.fstype}（挂载于 {mount.point}）")
