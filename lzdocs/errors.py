"""The one exception hierarchy of lzdocs; messages for people are built from the fields."""

from __future__ import annotations

from dataclasses import dataclass


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


class TemplateError(LzdocsError):
    """A .docx/.xlsx template is malformed or asks for a variable the data does not have."""


class FieldError(LzdocsError):
    """A letter or notice is missing a required field, or a field's value is invalid."""


@dataclass(frozen=True)
class Problem:
    """One finding about an input file: an error rejects the file, a warning is recorded."""

    severity: str  # "error" | "warning"
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def as_dict(self) -> dict:
        return {"severity": self.severity, "row": self.row, "column": self.column,
                "value": self.value, "message": self.message}

    def describe(self) -> str:
        """The line a clerk reads in 错误说明.txt."""
        where = []
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列" if self.row is not None else f"“{self.column}”")
        prefix = "".join(where)
        label = "错误" if self.severity == "error" else "提醒"
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

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("；".join(p.message for p in self.problems if p.severity == "error"))
