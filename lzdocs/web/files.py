"""Downloads of the status page: a workspace-relative path checked to lie in an archive folder, sent as an attachment.

Only files under ``outbox/`` (originals kept in 收文/, registers, letters, notices) and the returned files in
``inbox/退回/`` of the workspace (or of the inbox on a share, named by its full path) are sent. Refused: an empty
or other absolute path, a drive, ``..``, a hidden part (``.lzdocs``, half-written ``.part`` files), and anything
whose real path (symlinks followed) leaves those folders, checked again once the file is open (a file or folder
swapped for a symlink in between is refused).
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from lzdocs.errors import LzdocsError


class Refused(LzdocsError):
    """A download outside the archive folders (403)."""


class NotThere(LzdocsError):
    """A download of a file that is not (or no longer) there (404)."""


def _parts(text: str) -> tuple[str, ...]:
    if not text or "\x00" in text:
        raise Refused("没有指定文件")
    unified = text.replace("\\", "/")
    if PurePosixPath(unified).is_absolute() or PureWindowsPath(text).drive or PureWindowsPath(text).root:
        raise Refused("不能下载绝对路径的文件，只能下载工作区档案文件夹中的文件")
    parts = tuple(p for p in unified.split("/") if p not in ("", "."))
    if not parts or any(p == ".." for p in parts):
        raise Refused("路径中不能有“..”，只能下载工作区档案文件夹中的文件")
    if any(p.startswith(".") for p in parts):
        raise Refused("不能下载隐藏文件或程序的工作文件")
    return parts


def _in_folder(root: Path, allowed: list[Path], text: str) -> Path | None:
    """The file a full path names in one of ``allowed`` outside the workspace ``root`` (the 退回 folder of an inbox on
    a share is recorded by its full path), or None: any other absolute path is refused by ``_parts``."""
    if not text or "\x00" in text:
        return None
    written = PurePosixPath(text.replace("\\", "/"))
    for folder in allowed:
        if folder.is_relative_to(root):
            continue
        try:
            rest = written.relative_to(PurePosixPath(folder.as_posix()))
        except ValueError:
            continue
        return Path(folder, *_parts(rest.as_posix()))
    return None


def archive_file(root: Path, allowed: list[Path], text: str) -> Path:
    """The real file ``text`` (relative to the workspace ``root``, or a full path into a folder of ``allowed``)
    names, if it lies in one of ``allowed``."""
    candidate = _in_folder(root, allowed, text) or Path(root, *_parts(text))
    try:
        real = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise NotThere(f"文件不存在：{text}") from None
    except (OSError, RuntimeError):  # a symlink loop, a name too long
        raise Refused(f"无法打开：{text}") from None
    inside = [folder.resolve() for folder in allowed]
    if not any(real.is_relative_to(folder) for folder in inside):
        raise Refused("只能下载工作区档案文件夹（outbox、inbox/退回）中的文件")
    if not real.is_file():
        raise NotThere(f"不是文件：{text}")
    return real


def open_archive_file(root: Path, allowed: list[Path], text: str) -> tuple[Path, int]:
    """``archive_file`` opened (a file descriptor), and only if the file opened is the one checked, after the open:
    the units' share can swap a returned file or its folder for a symlink between the check and the open."""
    real = archive_file(root, allowed, text)
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise NotThere(f"文件不存在：{text}") from None
    except OSError:  # ELOOP: the file became a symlink
        raise Refused("只能下载工作区档案文件夹（outbox、inbox/退回）中的文件") from None
    try:
        opened = os.fstat(fd)
        if archive_file(root, allowed, text) != real or not stat.S_ISREG(opened.st_mode) \
                or not os.path.samestat(opened, os.stat(real)):
            raise Refused("只能下载工作区档案文件夹（outbox、inbox/退回）中的文件")
    except BaseException:
        os.close(fd)
        raise
    return real, fd


def chunks(fd: int, size: int = 1 << 16) -> Iterator[bytes]:
    """The open file's bytes a chunk at a time, closed at the end (or when the response is abandoned)."""
    with os.fdopen(fd, "rb") as fh:
        while block := fh.read(size):
            yield block


def disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the real (Chinese) name in RFC 5987 form."""
    suffix = "".join(c for c in Path(name).suffix if c.isascii() and (c.isalnum() or c == "."))
    fallback = "download" + suffix
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def media_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed if guessed and not guessed.startswith("text/html") else "application/octet-stream"
