"""Form kinds as data: the fields of a form, their synonyms and checks, loaded from TOML files."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lzdocs.errors import ConfigError
from lzdocs.settings import parse_toml
from lzdocs.textutil import squeeze

REVIEW_KIND = "check"  # the 落实情况 form (lzdocs/forms/kinds/risk_check.toml), reviewed by lzdocs/dynamics/reviews.py


@dataclass(frozen=True)
class Field:
    """One column of a form table."""

    key: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False
    type: str = "text"  # "text" | "level" | "choice" (one of ``choices``, written or ticked)
    choices: tuple[str, ...] = ()
    width: int = 12
    same_as_above: bool = False  # a blank cell under a filled one means “同上” (forms/ditto.py)

    @functools.cached_property
    def _names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(squeeze(s) for s in (self.label, *self.synonyms)))

    def match_score(self, header: str) -> int:
        """How well a header cell names this field: 0 none, else longer/exact matches score higher."""
        return self.squeezed_score(squeeze(header))

    def squeezed_score(self, text: str) -> int:
        """:meth:`match_score` of a header already squeezed (a kind scores one header for each of its fields)."""
        if not text:
            return 0
        best = 0
        for s in self._names:
            if text == s:
                best = max(best, 1000 + len(s))
            elif s in text:
                best = max(best, len(s) * 10 - (len(text) - len(s)))
        return max(best, 0) if best > 0 else 0


@dataclass(frozen=True)
class HeaderField:
    """A field written above the table (unit, date)."""

    key: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: kinds are loaded once per run
class FormKind:
    """A form the office distributes and reads back: its title, header fields and table columns."""

    key: str
    title: str
    fields: tuple[Field, ...]
    unit: HeaderField
    date: HeaderField
    notes: str = ""
    source: str = ""
    names: tuple[str, ...] = ()  # what a user may call it on the command line (``--kind 落实情况``)

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @functools.cached_property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    def classify_header(self, header: str) -> Field | None:
        """The field a header cell names, if any (the best-scoring synonym wins)."""
        named = self.header_name(header)
        return named[0] if named else None

    def header_name(self, header: str) -> tuple[Field, int] | None:
        """The field a header cell names and how well (:meth:`Field.match_score`): the best score wins, the first
        field on a tie; None when none is named."""
        return _header_name(self, header)

    def _header_name_uncached(self, header: str) -> tuple[Field, int] | None:
        text = squeeze(header)
        best, best_score = None, 0
        for f in self.fields:
            score = f.squeezed_score(text)
            if score > best_score:
                best, best_score = f, score
        return (best, best_score) if best is not None else None


@functools.lru_cache(maxsize=4096)
def _header_name(kind: FormKind, header: str) -> tuple[Field, int] | None:
    return kind._header_name_uncached(header)


def _load(data: dict, source: str) -> FormKind:
    try:
        fields = tuple(
            Field(key=f["key"], label=f["label"], synonyms=tuple(f.get("synonyms", ())),
                  required=bool(f.get("required", False)), type=f.get("type", "text"),
                  choices=tuple(f.get("choices", ())), width=int(f.get("width", 12)),
                  same_as_above=bool(f.get("same_as_above", False)))
            for f in data["fields"]
        )
        header = data.get("header", {})

        def head(key: str, label: str, required: bool) -> HeaderField:
            h = header.get(key, {})
            return HeaderField(key, h.get("label", label), tuple(h.get("synonyms", (label,))),
                               bool(h.get("required", required)))

        kind = FormKind(key=data["key"], title=data["title"], fields=fields,
                        unit=head("unit", "单位", True), date=head("date", "填表日期", False),
                        notes=data.get("notes", {}).get("text", ""), source=source,
                        names=tuple(data.get("names", ())))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"表格定义 {source} 缺少或写错了项目：{exc}",
                          hint="每个 [[fields]] 需要 key 和 label，文件需要 key 和 title") from exc
    if not kind.required:
        raise ConfigError(f"表格定义 {source} 没有必填列（required = true）", hint="至少标出一列必填，才能认出表格")
    return kind


def builtin_kinds() -> list[FormKind]:
    folder = resources.files("lzdocs") / "forms" / "kinds"
    return [_load(parse_toml(p.read_text(encoding="utf-8")), p.name)
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".toml")]


def load_kinds(workspace_forms: Path | None = None) -> list[FormKind]:
    """The packaged kinds plus the workspace's own ``forms/*.toml`` (a workspace kind may replace a packaged one)."""
    kinds = {k.key: k for k in builtin_kinds()}
    if workspace_forms and workspace_forms.is_dir():
        for path in sorted(workspace_forms.glob("*.toml")):
            try:
                data = parse_toml(path.read_text(encoding="utf-8-sig"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"表格定义 {path.name} 格式有误：{exc}") from exc
            kind = _load(data, path.name)
            kinds[kind.key] = kind
    return list(kinds.values())


def find_kind(kinds: list[FormKind], name: str) -> FormKind | None:
    """The kind called ``name``: its key, its title or one of its ``names``."""
    wanted = squeeze(name)
    return next((k for k in kinds if wanted in (k.key, squeeze(k.title), *map(squeeze, k.names))), None)


def risk_kind() -> FormKind:
    return next(k for k in builtin_kinds() if k.key == "risk")
