"""The one exception hierarchy of lzdocs; messages for people are built from the fields."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


class LzdocsError(Exception):
    """Base of every error lzdocs raises on purpose; ``str()`` is a Chinese message for the user."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}{'；' + self.hint if self.hint else ''}"


class ConfigError(LzdocsError):
    """The workspace, lzdocs.toml, the roster or a command's arguments are wrong (exit code 2)."""


class WorkspaceNotFound(ConfigError):
    """No lzdocs workspace at the given folder."""


class UnknownUnit(ConfigError):
    """A unit name that is neither a roster name nor an alias (the message names the close ones)."""


class TemplateError(LzdocsError):
    """A .docx/.xlsx template is malformed or asks for a variable the data does not have."""


class FieldError(LzdocsError):
    """A letter or notice is missing a required field, or a field's value is invalid."""


class StoreError(LzdocsError):
    """The archive database cannot be opened, read or written (locked, read-only, damaged, too new)."""


class FileAccessError(LzdocsError):
    """A file or folder of the workspace cannot be read or written; the message names it (exit code 2)."""

    def __init__(self, message: str, *, hint: str | None = None, path: str | None = None):
        super().__init__(message, hint=hint)
        self.path = path


_BUSY_WINERRORS = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION: open in Excel/WPS/Word
_SHARE_WINERRORS = {53, 59, 64, 67, 121, 1231, 1232}  # the network path or server gone, the name not found

# What the system says of an error, in Chinese: the system's own text (os.strerror) is English on Linux and on a
# Chinese Windows alike, and a clerk cannot act on "Input/output error".
_OS_ERRORS = {getattr(errno, name): text for name, text in (
    ("ENOENT", "找不到这个文件或文件夹，可能已被移走，或网络共享未连接"), ("EIO", "磁盘或网络读写错误"),
    ("EBUSY", "文件或设备正忙"), ("EACCES", "没有访问权限"), ("EPERM", "没有访问权限"),
    ("ENOTCONN", "网络连接已断开"), ("ETIMEDOUT", "连接超时"), ("EHOSTDOWN", "文件服务器无响应"),
    ("EHOSTUNREACH", "无法连接文件服务器"), ("ENETUNREACH", "网络不通"), ("ENETDOWN", "网络已断开"),
    ("ECONNRESET", "网络连接被对方断开"), ("ECONNREFUSED", "对方拒绝连接"),
    ("ESTALE", "网络文件句柄已失效，共享可能已重新挂载"),
    ("ENOTDIR", "路径中有一段不是文件夹"), ("EISDIR", "这是文件夹，不是文件"), ("ENOSPC", "磁盘空间不足"),
    ("EDQUOT", "超出了磁盘配额"), ("EROFS", "磁盘是只读的"), ("ENAMETOOLONG", "文件名或路径太长"),
    ("ELOOP", "符号链接（快捷方式）形成了循环"), ("EEXIST", "同名的文件已经存在"), ("ENOTEMPTY", "文件夹不是空的"),
    ("EMFILE", "同时打开的文件太多"), ("ENFILE", "系统打开的文件太多"), ("EXDEV", "不能跨磁盘移动"),
    ("EINVAL", "文件名或参数无效"), ("ENOMEM", "内存不足"), ("EAGAIN", "资源暂时不可用，请稍后再试"),
    ("EADDRINUSE", "端口已被占用"), ("EADDRNOTAVAIL", "本机没有这个地址"), ("EFBIG", "文件太大"),
    ("ENXIO", "设备不存在或未连接"), ("ENODEV", "设备不存在或未连接")) if hasattr(errno, name)}
_WIN_ERRORS = {**dict.fromkeys(_SHARE_WINERRORS, "网络共享不可用"),
               **dict.fromkeys(_BUSY_WINERRORS, "文件正被其他程序占用"),
               123: "文件名、文件夹名或盘符的写法不对", 1392: "文件或文件夹已损坏，无法读取"}


def describe_os_error(error: OSError) -> str:
    """A short Chinese description of an error of the file system or the network, with its code for the
    administrator (``ENOSPC``, ``WinError 53``): never the system's English text. An error a library raised with
    words only (no code) keeps them after its type, for the administrator."""
    import socket

    winerror = getattr(error, "winerror", None)
    number = error.errno if isinstance(error.errno, int) else None
    if isinstance(error, socket.gaierror):
        return f"找不到这个地址，主机名可能写错了，或网络不通（{type(error).__name__} {number}）"
    text = _WIN_ERRORS.get(winerror) or _OS_ERRORS.get(number or 0)
    code = errno.errorcode.get(number, "") if number else ""
    if text is None and not code and not winerror:  # no code to go by: the library's own words
        words = str(error).strip()
        return f"系统错误（{type(error).__name__}{'：' + words if words else ''}）"
    return f"{text or '系统错误'}（{code or (f'WinError {winerror}' if winerror else type(error).__name__)}）"


def describe_read_error(error: Exception) -> str:
    """Why a small file of ours (a JSON list, a manifest) could not be read, in Chinese: the system's error, the
    place where its content stops being JSON, or a text that is not UTF-8."""
    if isinstance(error, OSError):
        return describe_os_error(error)
    if isinstance(error, UnicodeDecodeError):
        return f"内容不是 UTF-8 编码的文字（第 {error.start + 1} 个字节起）"
    lineno, colno = getattr(error, "lineno", None), getattr(error, "colno", None)
    if lineno is not None:  # json.JSONDecodeError
        return f"内容格式已损坏（第 {lineno} 行第 {colno} 列起）"
    return f"内容格式已损坏（{type(error).__name__}）"


def from_os_error(exc: OSError) -> FileAccessError:
    """An OSError from the file system as a Chinese message that names the file or folder and says what to do."""
    raw = exc.filename2 if exc.filename is None else exc.filename
    if raw is None:
        return FileAccessError(f"读写文件时出错：{describe_os_error(exc)}", hint="请检查磁盘和网络共享是否正常后重试")
    path = Path(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))
    code = exc.errno
    if getattr(exc, "winerror", None) in _BUSY_WINERRORS or code == errno.EBUSY:
        return FileAccessError(f"“{path}”正被其他程序占用（可能正在 Excel/WPS/Word 中打开）", path=str(path),
                               hint="请关闭该文件后重试")
    if code in (errno.EACCES, errno.EPERM):
        if _safe(path.exists):
            what = "文件夹" if _safe(path.is_dir) else "文件"
            return FileAccessError(f"没有权限读写{what}“{path}”", path=str(path),
                                   hint="请检查它的权限或“只读”属性，或请管理员为当前用户开放读写权限")
        return FileAccessError(f"没有权限在文件夹“{path.parent}”中新建或写入文件", path=str(path.parent),
                               hint="请检查该文件夹的权限或“只读”属性，或请管理员为当前用户开放写入权限")
    # A folder wanted where a file is: under it (ENOTDIR), or at its very name (mkdir's EEXIST; a file of ours made
    # without replacing anything takes another name rather than fail so)
    if code == errno.ENOTDIR or code == errno.EEXIST and _safe(path.exists) and not _safe(path.is_dir):
        blocker = _file_in_the_way(path, exc.filename2 if exc.filename is not None else None)
        return FileAccessError(f"“{blocker}”是一个文件，但这里需要同名的文件夹", path=str(blocker),
                               hint="请把这个文件改名或移走，再重试")
    if code == errno.ENOENT:
        return FileAccessError(f"找不到“{path}”", path=str(path),
                               hint="请检查路径是否写对；如在网络共享上，请确认共享已连接")
    if code == errno.EISDIR:
        return FileAccessError(f"“{path}”是文件夹，这里需要一个文件", path=str(path),
                               hint="如果这是您写的路径，请写出文件的完整路径；否则请把这个文件夹改名或移走，再重试")
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return FileAccessError(f"磁盘空间不足，无法写入“{path}”", path=str(path), hint="请清理磁盘或申请更多空间后重试")
    if code == errno.EROFS:
        return FileAccessError(f"“{path}”所在的磁盘是只读的", path=str(path), hint="请把工作区放在可写的磁盘或共享上")
    if code == errno.ENAMETOOLONG:
        return FileAccessError(f"路径太长：“{path}”", path=str(path),
                               hint="请把工作区放在较短的路径下，或缩短标题、单位名称")
    if code == errno.ELOOP:
        return FileAccessError(f"“{path}”是循环的快捷方式（符号链接）", path=str(path), hint="请删除或改正这个链接")
    return FileAccessError(f"读写“{path}”时出错：{describe_os_error(exc)}", path=str(path),
                           hint="请检查磁盘、权限和网络共享是否正常后重试")


def _file_in_the_way(path: Path, second: str | bytes | None) -> Path:
    """The file standing where a folder is wanted, for an error about ``path`` — and, of a call given two paths
    (a link, a rename: ``second`` the new name), first a file above the new name: the old one is a file anyway."""
    if second is not None:
        target = Path(second.decode(errors="replace") if isinstance(second, bytes) else str(second))
        found = next((p for p in target.parents if _safe(p.is_file)), None)
        if found is not None:
            return found
    return next((p for p in (path, *path.parents) if _safe(p.is_file)), path)


def _safe(test) -> bool:
    try:
        return test()
    except OSError:
        return False


@dataclass(frozen=True)
class Problem:
    """One finding about an input file: an error rejects the file, a warning is recorded."""

    severity: str  # "error" | "warning" | "hint" (a quality hint, 提示)
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    seq: str | None = None  # the row's 序号 as written, when it has one: the department finds the row by it

    def as_dict(self) -> dict:
        return {"severity": self.severity, "row": self.row, "seq": self.seq, "column": self.column,
                "value": self.value, "message": self.message}

    def describe(self) -> str:
        """The line a clerk reads in 错误说明.txt."""
        where = []
        if self.row is not None:
            where.append(f"第{self.row}行" + (f"（序号{self.seq}）" if self.seq else ""))
        if self.column:
            where.append(f"“{self.column}”列" if self.row is not None else f"“{self.column}”")
        prefix = "".join(where)
        label = {"error": "错误", "hint": "提示"}.get(self.severity, "提醒")  # hint: quality review
        value = f"（当前内容：“{self.value}”）" if self.value not in (None, "") else ""
        return f"[{label}] {prefix + '：' if prefix else ''}{self.message}{value}"


def error(message: str, **where) -> Problem:
    return Problem("error", message, **where)


def warning(message: str, **where) -> Problem:
    return Problem("warning", message, **where)


class RejectedFile(LzdocsError):
    """An input file cannot be accepted; carries the problems that say why."""

    exit_code = 1

    unit: str | None = None  # what the form said, when it could be read that far
    year: int | None = None
    kind: str | None = None  # the form kind it was read as (forms/kinds), when it was told

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("；".join(p.message for p in self.problems if p.severity == "error"))


class YearClosed(LzdocsError):
    """A change of a year whose records were handed over in a 归档 package (``lzdocs archive``) and not reopened."""

    def __init__(self, year: int, closed_at, package: str):
        self.year, self.closed_at, self.package = year, closed_at, package
        when = f"{closed_at:%Y-%m-%d %H:%M}" if closed_at else "此前"
        super().__init__(f"{year} 年度已于 {when} 归档（归档文件在 {package}），该年度的收文和文书不能再增加或改动",
                         hint=f"确需补充或更正时，先运行 lzdocs archive --reopen {year} 重新打开该年度，办完后再运行 "
                              f"lzdocs archive --year {year} 新文件夹，重新归档并移交")
