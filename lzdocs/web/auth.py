"""Who may see the status page: users with argon2 password hashes, the session key, and throttled logins.

Users live in ``.lzdocs/web-users.json`` and the key that signs session cookies in ``.lzdocs/web-secret`` of the
workspace, both 0600 and written whole (temp file, then rename). They are files, not tables, so that the archive's
schema stays what the CLI and its migrations own, and a backup of the archive never carries password hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lzdocs.errors import ConfigError, describe_read_error
from lzdocs.fsutil import atomic_output

USERS_FILE = "web-users.json"
SECRET_FILE = "web-secret"
NAME = re.compile(r"^[\w.@-]{1,32}$")  # letters (Chinese too), digits, _ . @ -
MIN_PASSWORD = 8


def _write_private(path: Path, data: bytes) -> None:
    """``data`` at ``path`` whole or not at all, readable by its owner only (0600) from the first byte."""
    with atomic_output(path) as fh:
        os.chmod(fh.name, 0o600)
        fh.write(data)


def _exposed(path: Path) -> bool:
    """Can others than the owner read ``path`` (POSIX modes only: on Windows the folder's rights decide)?"""
    return os.name == "posix" and bool(os.stat(path).st_mode & 0o077)


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


class Users:
    """The users of a workspace's status page: name → argon2 hash (``.lzdocs/web-users.json``)."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / USERS_FILE

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if _exposed(self.path):  # copied or restored carelessly: hashes are for the owner's eyes only
                self.path.chmod(0o600)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"用户文件 {self.path} 无法读取：{describe_read_error(exc)}",
                              hint="可删除该文件后用 lzdocs user add 重新添加用户") from exc
        users = data.get("users") if isinstance(data, dict) else None
        return users if isinstance(users, dict) else {}

    def _save(self, users: dict[str, dict]) -> None:
        text = json.dumps({"users": users}, ensure_ascii=False, indent=2, sort_keys=True)
        _write_private(self.path, text.encode("utf-8"))

    def names(self) -> list[str]:
        return sorted(self._load())

    def __bool__(self) -> bool:
        return bool(self._load())

    def add(self, name: str, password: str, *, created: dt.datetime) -> bool:
        """Add a user, or set a new password for one (returns False then)."""
        name = check_name(name)
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
        users = self._load()
        new = name not in users
        users[name] = {"hash": _hasher().hash(password), "created": created.isoformat(timespec="seconds")}
        self._save(users)
        return new

    def remove(self, name: str) -> None:
        users = self._load()
        if name not in users:
            raise ConfigError(f"没有用户“{name}”", hint="用 lzdocs user list 查看用户")
        del users[name]
        self._save(users)

    def verify(self, name: str, password: str) -> bool:
        """Is this the user's password? An unknown name costs the same time as a wrong password."""
        from argon2.exceptions import InvalidHashError, VerificationError

        record = self._load().get(name)
        hashed = record.get("hash") if isinstance(record, dict) else None
        try:
            ok = _hasher().verify(hashed or _DUMMY.hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return ok and hashed is not None

    def exists(self, name: str) -> bool:
        return name in self._load()

    def stamp(self, name: str) -> str | None:
        """A mark of the user's current password (None for no such user): a session keeps the mark of its login,
        so a new password or a user removed and added again ends the sessions opened before."""
        record = self._load().get(name)
        hashed = record.get("hash") if isinstance(record, dict) else None
        return hashlib.sha256(hashed.encode("utf-8")).hexdigest()[:32] if isinstance(hashed, str) else None


class _Dummy:
    """A hash to verify against when the name is unknown (made once, on first use)."""

    _hash: str | None = None

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = _hasher().hash(secrets.token_urlsafe(16))
        return self._hash


_DUMMY = _Dummy()


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.match(name):
        raise ConfigError(f"用户名“{name}”不合适", hint="用户名 1–32 个字符：汉字、字母、数字或 _ . @ -，不含空格")
    return name


def secret_key(state_dir: Path) -> str:
    """The key that signs session cookies: made once (``.lzdocs/web-secret``, 0600), then read."""
    path = Path(state_dir) / SECRET_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if _exposed(path):  # whoever read it could sign a session of their own: a new key (all log in again)
            text = ""
    except (FileNotFoundError, UnicodeDecodeError):  # none yet, or damaged: a new one
        text = ""
    if len(text) < 32:
        text = secrets.token_urlsafe(48)
        _write_private(path, text.encode("ascii"))
    return text


@dataclass
class Throttle:
    """Logins refused for ``lock_seconds`` after ``limit`` failures (per user name and per client address)."""

    time: Callable[[], dt.datetime]
    limit: int = 5
    lock_seconds: int = 900
    _failures: dict[str, list[dt.datetime]] = field(default_factory=dict)

    def _recent(self, key: str) -> list[dt.datetime]:
        since = self.time() - dt.timedelta(seconds=self.lock_seconds)
        kept = [t for t in self._failures.get(key, []) if t > since]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def locked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self.limit for k in keys)

    def failed(self, *keys: str) -> None:
        if len(self._failures) > 10_000:  # many names or addresses: forget those whose failures are old
            for key in list(self._failures):
                self._recent(key)
        for key in keys:
            self._failures.setdefault(key, []).append(self.time())

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
