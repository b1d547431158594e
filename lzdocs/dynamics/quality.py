"""Quality review of risk forms: hints on generic measures, copied texts, likely omissions, owners.

Every flag is a hint (提示), never a reason to return a form. The rules are data: lzdocs/dynamics/quality.toml,
extended by the workspace's 质量规则.toml ([quality] rules_file), with the numbers in [quality] of lzdocs.toml.

- generic_measures: a row whose measures contain a generic phrase (加强管理、提高认识…) and, once those phrases are
  taken out, nothing concrete (a frequency, a number, a person, a procedure or a named rule: the ``concrete``
  patterns).
- copied: a risk text near-identical (rapidfuzz ratio ≥ [quality] copy_threshold over the compared text, at least
  ``MIN_COPY_CHARS`` long) to a row of another unit's form of the same year that had it first. A text counts from
  the unit's earliest form of the year that held it or a text alike, superseded forms included (``FirstHad``): a unit
  that sends its form again, reworded or not, is not taken for the copier of those who copied its first version, and
  a unit that copies in its second version still is. Texts equal once compared are found through a dict; the fuzzy
  comparison of every pair runs while the pairs are at most ``FUZZY_PAIRS`` (a school's year is about a thousand
  rows, half a million pairs; a year of 100,000 rows would take minutes, and is then searched for equal texts
  only). A form being taken in is compared by the same rule: alike
  texts while the year's rows, its own included, are within that budget, equal texts beyond.
- same_as_previous: the form is the same as the unit's form of an earlier year (dynamics/changes.py decides).
- possibly_missing: a unit whose business is high-risk (its areas: units.csv 业务领域, else [quality_areas], else
  guessed from its name by the ``areas`` keywords) with no 一级 or 二级 point, or fewer than [quality] min_points.
- no_owner: a row without 责任人, or whose 责任人 is not a person's name (a post, a title, a group).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lzdocs.dynamics.changes import comparable, compare, point_of, threshold_of, year_changes
from lzdocs.errors import ConfigError, Problem
from lzdocs.store import history
from lzdocs.store.submissions import order_key

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.dynamics.changes import UnitChanges
    from lzdocs.workspace import Roster, Workspace

RULES_FILE = Path(__file__).with_name("quality.toml")
DEFAULT_COPY_THRESHOLD = 90.0
DEFAULT_MIN_POINTS = 3
MIN_COPY_CHARS = 6  # shorter risk texts (违规审批) are alike everywhere without anyone copying
FUZZY_PAIRS = 20_000_000  # about 2 s of rapidfuzz: beyond, copies are found by equal text only (see the docstring)
FORMS_AT_ONCE = 200  # forms whose rows the year view reads in one query (a few thousand rows in memory at once)
CODES = ("generic_measures", "copied", "same_as_previous", "possibly_missing", "no_owner")
NAME_SPLIT = re.compile(r"[、，,;；/\s]+")


@dataclass(frozen=True, slots=True)
class QualityFlag:
    """One hint about a unit's form: ``row`` is the table row (None for the whole form), ``seq`` its 序号."""

    unit: str
    row: int | None
    code: str
    message: str
    seq: str | None = None
    from_unit: str | None = None
    risk_id: int | None = None  # the stored risk row flagged, when the flag was made from the archive

    def as_dict(self) -> dict[str, Any]:
        """What ``lzdocs quality --json`` prints for the flag (``from_unit`` only for ``copied``)."""
        found = {"unit": self.unit, "row": self.row, "code": self.code, "message": self.message}
        if self.code == "copied":
            found["from_unit"] = self.from_unit
        return found

    def problem(self) -> Problem:
        """The flag as a 提示 line of the feedback to the unit."""
        return Problem("hint", self.message, row=self.row, seq=self.seq)


@dataclass
class Rules:
    """The quality rules in force: the packaged data, the workspace's additions and the settings."""

    phrases: list[str]
    concrete: list[re.Pattern]
    owner_name: re.Pattern
    not_name: list[str]
    areas: dict[str, list[str]]
    unit_areas: dict[str, list[str]]  # explicit areas by unit (units.csv, then [quality_areas])
    copy_threshold: float = DEFAULT_COPY_THRESHOLD
    min_points: int = DEFAULT_MIN_POINTS
    change_threshold: float = 75.0

    @classmethod
    def load(cls, ws: Workspace, *, roster: Roster | None = None) -> Rules:
        """The rules of workspace ``ws`` (``roster``: its roster, when the caller has read it)."""
        data = _read(RULES_FILE)
        extra_name = ws.settings.text("quality", "rules_file", "质量规则.toml").strip()
        extra = ws.root / extra_name if extra_name else None
        if extra is not None and extra.is_file():
            _extend(data, _read(extra))
        unit_areas = {name: _split_areas(text) for name, text in ws.settings.section("quality_areas").items()}
        for unit in ws.roster() if roster is None else roster:
            if getattr(unit, "areas", None) is not None:
                unit_areas[unit.name] = list(unit.areas)
        try:
            concrete = [re.compile(p) for p in data["generic_measures"]["concrete"]]
            owner = re.compile(data["owner"]["name"])
        except re.error as exc:
            raise ConfigError(f"质量规则中的写法“{exc.pattern}”不是有效的正则表达式（{exc}）") from exc
        return cls(phrases=sorted(dict.fromkeys(data["generic_measures"]["phrases"]), key=len, reverse=True),
                   concrete=concrete, owner_name=owner, not_name=list(data["owner"]["not_name"]),
                   areas={k: list(v) for k, v in data["areas"].items()}, unit_areas=unit_areas,
                   copy_threshold=ws.settings.number("quality", "copy_threshold", DEFAULT_COPY_THRESHOLD),
                   min_points=ws.settings.integer("quality", "min_points", DEFAULT_MIN_POINTS),
                   change_threshold=threshold_of(ws.settings))

    def not_a_name(self, name: str) -> bool:
        """Whether ``name`` holds one of the ``not_name`` words (a post, a title, a group): one search of them all,
        as every row of the year is checked."""
        return bool(self._not_name_words.search(name)) if self.not_name else False

    @cached_property
    def _not_name_words(self) -> re.Pattern:
        return re.compile("|".join(map(re.escape, self.not_name)))

    def has_phrase(self, text: str) -> bool:
        """Whether ``text`` holds any of the generic ``phrases``: one search of them all, as every row of the year
        is checked (most hold none)."""
        return bool(self._phrase_words.search(text)) if self.phrases else False

    @cached_property
    def _phrase_words(self) -> re.Pattern:
        return re.compile("|".join(map(re.escape, self.phrases)))

    def areas_of(self, unit: str) -> list[str]:
        """The high-risk areas of ``unit``: as set for it, else guessed from its name."""
        if unit in self.unit_areas:
            return self.unit_areas[unit]
        return [area for area, words in self.areas.items() if any(w in unit for w in words)]


def _read(path: Path) -> dict:
    from lzdocs.errors import describe_os_error
    from lzdocs.settings import parse_toml
    from lzdocs.textutil import decode_text
    from lzdocs.workspace import TOML_HINT, toml_message

    try:
        text = decode_text(path.read_bytes()) or ""
    except OSError as exc:
        raise ConfigError(f"质量规则文件 {path.name} 无法读取：{describe_os_error(exc)}",
                          hint="请检查这个文件是否存在、能否打开") from exc
    try:
        return parse_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"质量规则文件 {toml_message(str(exc), text, path.name)}", hint=TOML_HINT) from exc


def _extend(data: dict, extra: dict) -> None:
    """Add the workspace's rules to the packaged ones: lists grow, tables gain keys, a text replaces a text."""
    for section, body in extra.items():
        target = data.setdefault(section, {})
        if not isinstance(body, dict):
            continue
        for key, value in body.items():
            if isinstance(value, list) and isinstance(target.get(key), list):
                target[key] = [*target[key], *value]
            else:
                target[key] = value


def _split_areas(text: str) -> list[str]:
    return [] if text.strip() in ("", "无") else [a for a in NAME_SPLIT.split(text.strip()) if a]


# --- pure: one form's rows ---------------------------------------------------------------------------
def _row_no(row: Mapping) -> int | None:
    return row.get("row_no") if "row_no" in row else row.get("row")


def _flag(unit: str, row: Mapping, code: str, message: str, **kw) -> QualityFlag:
    stored = "row_no" in row  # a row of the archive, else one being taken in
    return QualityFlag(unit, row.get("row_no") if stored else row.get("row"), code, message,
                       seq=(str(row.get("seq") or "").strip() or None), risk_id=row.get("id") if stored else None, **kw)


def generic_phrases(measures: str, rules: Rules) -> list[str]:
    """The generic phrases of ``measures`` when nothing concrete is left without them, else []."""
    text = "".join((measures or "").split())
    if not rules.has_phrase(text):
        return []
    rest, found = text, []
    for phrase in rules.phrases:  # longest first: 提高思想认识 before 提高认识
        if phrase in rest:
            found.append(phrase)
            rest = rest.replace(phrase, "\0")
    if not found or any(p.search(rest) for p in rules.concrete):
        return []
    return sorted(found, key=text.find)


def owner_problem(owner: str, post: str, rules: Rules) -> str | None:
    """Why ``owner`` is not a person's name (None when every name given looks like one)."""
    names = [n for n in NAME_SPLIT.split((owner or "").strip()) if n]
    if not names:
        return "填写了风险点但没有填写责任人，请填写责任人姓名"
    for name in names:
        if name == (post or "").strip() or rules.not_a_name(name) or not rules.owner_name.fullmatch(name):
            return f"责任人“{owner.strip()}”不是具体人员的姓名，请填写责任人姓名"
    return None


def row_flags(unit: str, rows: Sequence[Mapping], rules: Rules) -> list[QualityFlag]:
    """generic_measures and no_owner, row by row."""
    flags = []
    for row in rows:
        phrases = generic_phrases(row.get("measures") or "", rules)
        if phrases:
            flags.append(_flag(unit, row, "generic_measures",
                               f"防控措施只有“{'、'.join(phrases)}”等笼统表述，没有具体做法、频次、责任人或制度，"
                               "建议写明怎么做、多久一次、由谁负责、依据什么制度"))
        why = owner_problem(row.get("owner") or "", row.get("post") or "", rules)
        if why:
            flags.append(_flag(unit, row, "no_owner", why))
    return flags


def texts_of(rows: Iterable[Mapping]) -> list[tuple[str, int | None]]:
    """(risk text as compared, table row) of each row."""
    return [(comparable(row.get("risk")), _row_no(row)) for row in rows]


NEW = float("inf")  # the ``since`` of a text its unit had in no earlier form: later than any text held


class _Alphabet:
    """Texts spelled anew (``spell``): each character met gets a code of its own, the first 256 of them codes below
    256. rapidfuzz finds such a character of a text in a table, and a Chinese one by hashing it: the comparison of
    every pair (``CopyIndex._alike``) takes about a third less time. Equal characters stay equal and different ones
    different, so every score is what the texts as written would score."""

    def __init__(self) -> None:
        self.codes: dict[int, str] = {}

    def spell(self, text: str) -> str:
        codes = self.codes
        for char in [c for c in set(text) if ord(c) not in codes]:
            code = len(codes)
            codes[ord(char)] = chr(code if code < 0xD800 else code + 0x800)  # never a lone surrogate
        return text.translate(codes)


class CopyIndex:
    """Risk texts of forms received so far (as compared, with their unit and row), to find copies among. Each text
    keeps its ``since``: the id of its unit's earliest form of the year that held it (``FirstHad``), so that a row
    is compared only with the texts other units had before its own unit had it."""

    def __init__(self, forms: Iterable[tuple[str, Sequence[Mapping]]] = ()):
        self.texts: list[str] = []
        self.spelled: list[str] = []  # the first texts as ``alphabet`` spells them: spelled when ``_alike`` needs them
        self.alphabet = _Alphabet()
        self.owners: list[tuple[str, int | None]] = []  # (unit, table row): the rows themselves are not kept
        self.since: list[float] = []  # the ``since`` of each text
        self.exact: dict[str, list[int]] = {}  # text → its positions in ``texts``, first first
        self.by_unit: dict[str, list[int]] = {}  # unit → the positions of its texts
        self.gone: set[int] = set()  # positions of texts no longer held (``drop``)
        for unit, rows in forms:
            self.add(unit, rows)

    @property
    def held(self) -> int:
        """How many texts are held: those added, less those dropped."""
        return len(self.texts) - len(self.gone)

    def entries(self) -> list[tuple[str, tuple[str, int | None], float]]:
        """(text, (unit, table row), since) of each text held, in order."""
        return [(text, owner, since) for i, (text, owner, since) in enumerate(zip(self.texts, self.owners, self.since))
                if i not in self.gone]

    def drop(self, positions: Iterable[int]) -> None:
        """Texts no longer held (their form superseded): never found again, as if they had not been added — the
        texts held keep their order, and of equal scores the first held is still the one chosen."""
        for position in set(positions) - self.gone:
            self.gone.add(position)
            for where, key in ((self.exact, self.texts[position]), (self.by_unit, self.owners[position][0])):
                where[key].remove(position)
                if not where[key]:
                    del where[key]

    def add(self, unit: str, rows: Sequence[Mapping]) -> None:
        self.add_texts(unit, texts_of(rows))

    def add_texts(self, unit: str, texts: Iterable[tuple[str, int | None]],
                  since: float | Sequence[float] = 0) -> None:
        """Add a form's (compared risk text, table row) pairs, held since ``since`` (one for all, or one each)."""
        positions = self.by_unit.setdefault(unit, [])
        texts = list(texts)
        for (text, row_no), held in zip(texts, [since] * len(texts) if isinstance(since, int | float) else since,
                                        strict=True):
            if len(text) >= MIN_COPY_CHARS:
                self.exact.setdefault(text, []).append(len(self.texts))
                positions.append(len(self.texts))
                self.texts.append(text)
                self.owners.append((unit, row_no))
                self.since.append(held)

    def copied_flags(self, unit: str, rows: Sequence[Mapping], rules: Rules, *, fuzzy: bool = True,
                     texts: Sequence[tuple[str, int | None]] | None = None,
                     since: Sequence[float] | None = None) -> list[QualityFlag]:
        """Rows whose risk text is that of a row of another unit here: the first such row with the same text once
        compared, else (``fuzzy``) the first of the rows most alike, by ``copy_threshold`` (``unit``'s own rows
        are never compared). ``texts``: the rows' :func:`texts_of`, when the caller has them already. ``since``:
        each row's (``NEW`` for a text its unit never had before); a row is compared only with texts held earlier."""
        texts = texts_of(rows) if texts is None else texts
        since = [NEW] * len(texts) if since is None else since
        found: dict[int, tuple[int, float]] = {}  # index in rows → (position of the other text, score)
        pending: list[tuple[int, str, float]] = []
        for i, ((text, _row_no), held) in enumerate(zip(texts, since, strict=True)):
            if len(text) < MIN_COPY_CHARS:
                continue
            same = next((j for j in alike if self.owners[j][0] != unit and self.since[j] < held), None) \
                if (alike := self.exact.get(text)) else None
            if same is not None:
                found[i] = (same, 100.0)
            elif fuzzy:
                pending.append((i, text, held))
        if pending and self.held > len(self.by_unit.get(unit, ())):
            found.update(self._alike(unit, pending, rules.copy_threshold))
        flags = []
        for i, (position, score) in sorted(found.items()):
            other, other_row = self.owners[position]
            flags.append(_flag(unit, rows[i], "copied",
                               f"风险点描述与{other}的表第{other_row}行几乎相同（相似度 {score:.0f}），"
                               "请结合本单位岗位实际查找风险点，不要照抄其他单位", from_unit=other))
        return flags

    def _alike(self, unit: str, pending: list[tuple[int, str, float]],
               cutoff: float) -> dict[int, tuple[int, float]]:
        """For each (row index, text, since): the first position holding the best score ≥ ``cutoff`` among the texts
        other units held before ``since``, as rapidfuzz's ``extractOne`` would choose it: one score matrix for the
        form (``cdist``)."""
        import numpy as np
        from rapidfuzz import fuzz, process

        spell = self.alphabet.spell
        # spelled only now: most indexes are never compared alike (an ingest's forms past ``FUZZY_PAIRS``, a 汇总)
        self.spelled += [spell(t) for t in self.texts[len(self.spelled):]]
        scores = process.cdist([spell(t) for _, t, _ in pending], self.spelled, scorer=fuzz.ratio, score_cutoff=cutoff,
                               dtype=np.float32)  # distinct ratios differ by far more than float32 rounds
        if own := self.by_unit.get(unit):
            scores[:, own] = -1
        if self.gone:
            scores[:, sorted(self.gone)] = -1
        if any(held != NEW for _, _, held in pending):  # texts its unit had before: only what others had earlier
            held_since = np.asarray(self.since)
            for k, (_, _, held) in enumerate(pending):
                if held != NEW:
                    scores[k, held_since >= held] = -1
        best = scores.argmax(axis=1)
        found = {}
        for (i, text, _), position, score in zip(pending, best.tolist(),
                                                 scores[np.arange(len(pending)), best].tolist(), strict=True):
            if score >= cutoff:
                found[i] = (position, fuzz.ratio(text, self.texts[position]))  # the score exactly, as printed
        return found


def missing_flags(unit: str, rows: Sequence[Mapping], rules: Rules) -> list[QualityFlag]:
    """possibly_missing: a unit in high-risk business with no 一级/二级 point, or with fewer points than the rule."""
    areas = rules.areas_of(unit)
    if not areas:
        return []
    reasons = []
    if not any(r.get("level") in (1, 2) for r in rows):
        reasons.append("没有一级或二级风险点")
    if len(rows) < rules.min_points:
        reasons.append(f"只有 {len(rows)} 个风险点（少于 {rules.min_points} 个）")
    if not reasons:
        return []
    return [QualityFlag(unit, None, "possibly_missing",
                        f"本单位涉及{'、'.join(areas)}等廉政风险较高的业务，但{'，'.join(reasons)}，风险点排查可能遗漏，"
                        "请对照职责再排查")]


def same_flag(unit: str, previous_year: int) -> QualityFlag:
    return QualityFlag(unit, None, "same_as_previous",
                       f"与{previous_year}年报送的表完全相同，请确认本年度岗位、职责和风险是否确无变化")


def form_flags(unit: str, rows: Sequence[Mapping], rules: Rules, *, others: CopyIndex | None = None,
               same_as_year: int | None = None, fuzzy: bool = True,
               texts: Sequence[tuple[str, int | None]] | None = None,
               since: Sequence[float] | None = None) -> list[QualityFlag]:
    """Every flag of one form (``others``: the forms received before it; ``texts``: the rows' :func:`texts_of`, if
    known; ``since``: see :meth:`CopyIndex.copied_flags`): unit-level flags first, then the rows' in table order."""
    copied = others.copied_flags(unit, rows, rules, fuzzy=fuzzy, texts=texts, since=since) if others else []
    return _in_order(_unit_flags(unit, rows, rules, same_as_year), row_flags(unit, rows, rules) + copied)


def _unit_flags(unit: str, rows: Sequence[Mapping], rules: Rules, same_as_year: int | None) -> list[QualityFlag]:
    return ([same_flag(unit, same_as_year)] if same_as_year is not None else []) + missing_flags(unit, rows, rules)


def _in_order(unit_flags: list[QualityFlag], by_row: list[QualityFlag]) -> list[QualityFlag]:
    order = {code: i for i, code in enumerate(CODES)}
    return unit_flags + sorted(by_row, key=lambda f: (f.row or 0, order[f.code]))


# --- from the archive --------------------------------------------------------------------------------
class FirstHad:
    """When each unit first had each of its texts: the texts of its earlier forms of the year (``forms``: (id, unit)
    of stored forms), each with its form's id. A text counts from the earliest form that held it or a text alike to
    it (``threshold``, as a copy is told): a sentence the unit reworded when it sent its form again is still its own,
    from its first form on."""

    def __init__(self, conn: Connection, forms: Iterable[tuple[int, str]], threshold: float,
                 known: dict[int, list[tuple[str, int | None]]] | None = None):
        """``known``: the texts of stored forms read before, by id (``StoredTexts.by_id``: stored rows never
        change), to which the forms read here are added."""
        unit_of = dict(forms)
        known = {} if known is None else known
        for submission, rows in history.rows_of(conn, [i for i in unit_of if i not in known]).items():
            known[submission] = texts_of(rows)
        self.threshold = threshold
        self.earlier: dict[str, list[tuple[str, int]]] = {}  # unit → (text, id of the form holding it)
        for submission in sorted(unit_of):
            self.earlier.setdefault(unit_of[submission], []).extend(
                (text, submission) for text, _ in known[submission] if len(text) >= MIN_COPY_CHARS)

    def since(self, unit: str, texts: Sequence[tuple[str, int | None]], default: float) -> list[float]:
        """For each of ``unit``'s (text, row): the id of the unit's earliest form holding it or a text alike, else
        ``default`` (the form's own id, or ``NEW`` for a form being taken in) — whichever is earlier."""
        held = self.earlier.get(unit)
        if not held:
            return [default] * len(texts)
        import numpy as np
        from rapidfuzz import fuzz, process

        scores = process.cdist([t for t, _ in texts], [t for t, _ in held], scorer=fuzz.ratio,
                               score_cutoff=self.threshold, dtype=np.float32)
        ids = np.asarray([i for _, i in held], dtype=np.float64)
        found = np.where(scores >= self.threshold, ids, np.inf).min(axis=1, initial=np.inf)
        return [min(default, first) for first in found.tolist()]


def year_flags(conn: Connection, year: int, rules: Rules, *, unit: str | Collection[str] | None = None,
               unit_order: Sequence[str] = (), current: Callable[[str], str] | None = None,
               changes: Iterable[UnitChanges] | None = None) -> list[QualityFlag]:
    """The flags of every unit's current form of ``year`` (units of ``unit_order`` first); of ``unit`` only: a name,
    or the names its forms may be recorded under (``Roster.recorded_names``). ``current`` (``Roster.current``) makes a
    renamed unit's form of last year its previous form (与上年相同).

    Copies are looked for text by text in the order the units first had them (``FirstHad``, over the forms the
    current ones superseded): a row is compared with what other units had before its unit had that text. The order
    is the order the archive took the forms in (their ids), never the recorded times, which come from the clocks of
    the machines that took them (``submissions.order_key``).

    ``changes``: ``year_changes`` of ``year`` for every unit, with ``current`` and ``rules.change_threshold``, when the
    caller has worked them out already (the 变化 sheet beside the 质量 sheet); else they are worked out here."""
    review = YearReview(conn, year, rules, unit=unit, current=current)
    review.read(conn)
    return review.flags(conn, unit_order=unit_order, changes=changes)


class YearReview:
    """:func:`year_flags` in steps: made before the year's current risk rows are read, given them form by form
    (:meth:`add_form`), or row by row as another reader of them goes through them (:meth:`add_row`: the 汇总 lists
    them, each form's together), then asked for the flags (:meth:`flags`). Rows given that are not exactly those of
    the current forms (each form's once, in order, and as many as they have) are set aside and the rows read again
    (:meth:`read`)."""

    def __init__(self, conn: Connection, year: int, rules: Rules, *, unit: str | Collection[str] | None = None,
                 current: Callable[[str], str] | None = None):
        self.year, self.rules, self.unit, self.current = year, rules, unit, current
        self.forms = history.current_forms(conn, year)
        self.unit_of = {f.id: f.unit for f in self.forms}
        self.wanted = None if unit is None else {unit} if isinstance(unit, str) else set(unit)
        self.first = FirstHad(conn, history.superseded_forms(conn, year), rules.copy_threshold)
        self._reset()

    def _reset(self) -> None:
        self.rows = 0  # rows given
        self.given: set[int] = set()  # the forms given
        self.base: dict[int, tuple[list, list]] = {}  # form id → (missing flags, row flags) of the forms asked for
        self.held: dict[int, list] = {}  # since → [(form id, unit, the row as flagged, (text, row))]: one unit's each
        self._form: int | None = None  # the form whose rows add_row is given
        self._rows: list = []
        self._stray = False  # a row of no current form was given

    def read(self, conn: Connection) -> None:
        """Every current form's rows, read from the archive (a few hundred forms at a time)."""
        for start in range(0, len(self.forms), FORMS_AT_ONCE):
            batch = self.forms[start:start + FORMS_AT_ONCE]
            rows_by_id = history.rows_of(conn, [f.id for f in batch])
            for form in batch:
                self.add_form(form.id, rows_by_id.pop(form.id))

    def add_row(self, row: Mapping) -> None:
        """One stored risk row; the rows of a form come together, in table order."""
        if row["submission_id"] != self._form:
            self._end_form()
            self._form = row["submission_id"]
        self._rows.append(row)

    def _end_form(self) -> None:
        if self._form is not None:
            ids = [row["id"] for row in self._rows]
            if self._form in self.unit_of and self._form not in self.given and ids == sorted(set(ids)):
                self.add_form(self._form, self._rows)
            else:  # rows of no current form, a form's rows apart, out of order or twice
                self._stray = True
        self._form, self._rows = None, []

    def add_form(self, form_id: int, stored: Iterable[Mapping]) -> None:
        """The rows of the current form ``form_id``, in table order."""
        unit, rules = self.unit_of[form_id], self.rules
        rows = [_reviewed(row) for row in stored]
        self.rows += len(rows)
        self.given.add(form_id)
        asked = self.wanted is None or unit in self.wanted
        if asked:
            self.base[form_id] = (missing_flags(unit, rows, rules), row_flags(unit, rows, rules))
        texts = texts_of(rows)  # compared once, kept for the forms after
        held = self.held
        for row, pair, since in zip(rows, texts, self.first.since(unit, texts, form_id), strict=True):
            shown = {"row_no": row["row_no"], "seq": row["seq"], "id": row["id"]} if asked else None
            held.setdefault(since, []).append((form_id, unit, shown, pair))

    def flags(self, conn: Connection, *, unit_order: Sequence[str] = (),
              changes: Iterable[UnitChanges] | None = None) -> list[QualityFlag]:
        """The flags of the forms (units of ``unit_order`` first); ``changes``: see :func:`year_flags`."""
        self._end_form()
        # The rows given, each form's distinct and in order, are all the current forms' when there are as many
        if self._stray or self.rows != history.count_rows(conn, self.unit_of):
            self._reset()
            self.read(conn)
        for form in self.forms:  # a form without rows
            if form.id not in self.given:
                self.add_form(form.id, [])
        year, rules = self.year, self.rules
        if changes is None:
            changes = year_changes(conn, year, rules.change_threshold, unit=self.unit, current=self.current)
        same = {c.unit: c.previous_year for c in changes if c.previous_year < year and c.same_as_previous}
        name = self.current or (lambda recorded: recorded)  # a renamed unit's forms are one unit's (Roster.current)
        fuzzy = self.rows ** 2 // 2 <= FUZZY_PAIRS
        base = self.base
        earlier = CopyIndex()
        for since in sorted(self.held):  # each text against those held before it, then held itself
            group = self.held[since]
            form_id, owner = group[0][0], group[0][1]
            if form_id in base:
                base[form_id][1].extend(earlier.copied_flags(owner, [g[2] for g in group], rules, fuzzy=fuzzy,
                                                             texts=[g[3] for g in group]))
            earlier.add_texts(owner, [g[3] for g in group], since)
        position = {unit: i for i, unit in enumerate(unit_order)}
        shown = sorted((form for form in self.forms if form.id in base),  # stable: the order taken among a unit's
                       key=lambda form: (position.get(form.unit, len(position)), form.unit))
        flags = []
        for form in shown:
            missing, by_row = base[form.id]
            same_year = same.get(name(form.unit))
            flags += _in_order(([same_flag(form.unit, same_year)] if same_year is not None else []) + missing, by_row)
        return flags


def _reviewed(row: Mapping) -> dict:
    """What the review reads of a stored risk row, as a dict (looked up many times; a database row's mapping is
    slower to ask)."""
    return {"id": row["id"], "row_no": row["row_no"], "seq": row["seq"], "post": row["post"], "risk": row["risk"],
            "level": row["level"], "measures": row["measures"], "owner": row["owner"]}


class StoredTexts:
    """The risk texts of the year's current forms, kept over an ingest run (stored rows never change): each form
    taken reads only the forms stored since the one before, and the index grows by them — a form that supersedes one
    held takes its place."""

    def __init__(self):
        self.by_id: dict[int, list[tuple[str, int | None]]] = {}
        self.year: int | None = None
        self.forms: dict[int, tuple] = {}  # submission id → (id, unit, received_at) of what ``copies`` holds, in order
        self.units: Counter[str] = Counter()  # the units of ``forms``, each as often as it has one there
        self.positions: dict[int, range] = {}  # submission id → the positions of its texts in ``copies``
        self.superseded_units: set[str] = set()  # units with a superseded form of the year: ``since`` is ``FirstHad``'s
        self.seen = 0  # the greatest submission id read: what comes after it is new
        self.copies = CopyIndex()
        self.unstored = False  # ``copies`` holds texts of forms looked at but not stored (``add_unstored``)

    def index(self, conn: Connection, year: int, threshold: float = DEFAULT_COPY_THRESHOLD) -> CopyIndex:
        """Every current form of ``year`` (the form's own unit's too: ``copied_flags`` leaves it out), in the order
        received, each text held since its unit first had it — as if read anew each time (``_follow``)."""
        new = None
        if year == self.year and (self.forms or self.unstored):
            forms, self.seen = history.forms_after(conn, year, self.seen)
            new = self._follow(conn, forms, threshold)
        if new is None:  # the first form, another year, a form that went into history at once: all anew
            self.year, self.forms, self.units, self.positions, self.copies = year, {}, Counter(), {}, CopyIndex()
            self.unstored = False
            forms = [tuple(f) for f in history.current_forms(conn, year)]
            self.seen = max((f[0] for f in forms), default=0)
            self._read(conn, [f[0] for f in forms])
            superseded = history.superseded_forms(conn, year)
            self.superseded_units = {f[1] for f in superseded}
            first = FirstHad(conn, superseded, threshold, self.by_id)
            new = [(f, first.since(f[1], self.by_id[f[0]], f[0])) for f in forms]
        for form, since in new:
            submission, unit, _ = form
            before = len(self.copies.texts)
            self.copies.add_texts(unit, self.by_id[submission], since)
            self.positions[submission] = range(before, len(self.copies.texts))
            self.forms[submission] = form
            self.units[unit] += 1
        return self.copies

    def add_unstored(self, unit: str, texts: list[tuple[str, int | None]]) -> None:
        """The texts of a form looked at but not stored (``ingest --dry-run``), as ``unit``'s: the forms looked at
        after it find copies of it, as they would once it was taken — held since after every stored form, so a form
        whose unit had a text before (``FirstHad``) is not told it copied it. Until the index is made anew (another
        year); what the form would replace stays held (a dry run settles nothing)."""
        self.copies.add_texts(unit, texts, self.seen + 0.5)
        self.unstored = True

    def _follow(self, conn: Connection, forms: list,
                threshold: float) -> list[tuple[tuple, float | Sequence[float]]] | None:
        """The forms stored since the last call (``history.forms_after``) as they join the index — each with the
        ``since`` of its texts — once the forms they superseded are dropped from it; None when the index is to be
        made anew: a form that went into history at once (an older one of its unit came late, or it was superseded
        since), one that superseded a form not held, or one that would not come last in the order received. A form
        may supersede two held (its unit's current forms under an old name and a new one): both are dropped."""
        if any(r["superseded_by"] is not None for r in forms):
            return None
        superseding = [r for r in forms if r["supersedes"] is not None]
        replaced = history.superseded_by(conn, [r["id"] for r in superseding]) if superseding else set()
        if not replaced <= self.positions.keys():
            return None
        # what stays held, looked at through the few forms that go: a run of a thousand forms is not a thousand
        # passes over the forms held
        last = next((f for f in reversed(self.forms.values()) if f[0] not in replaced), None)
        added = [(r["id"], r["unit"], r["received_at"]) for r in forms]
        if added and last and (added[0][2], added[0][0]) < (last[2], last[0]):
            return None
        leaving = Counter(self.forms[submission][1] for submission in replaced)
        units = [f[1] for f in added]
        if len(set(units)) < len(units) or any(self.units[unit] > leaving[unit] for unit in units):
            return None  # a unit would hold two current forms
        for submission in replaced:
            self.copies.drop(self.positions.pop(submission))
            unit = self.forms.pop(submission)[1]
            self.units[unit] -= 1
            if not self.units[unit]:
                del self.units[unit]
            self.superseded_units.add(unit)
        self._read(conn, [f[0] for f in added])
        # the forms whose units had a form of the year superseded (by them, or before: under a name that is no
        # longer the unit's) hold a text since the first of those that had it
        successors = {f[1] for f in added} & self.superseded_units
        first = None
        if successors:
            first = FirstHad(conn, [f for f in history.superseded_forms(conn, self.year) if f[1] in successors],
                             threshold, self.by_id)
        return [(f, first.since(f[1], self.by_id[f[0]], f[0]) if f[1] in successors else f[0]) for f in added]

    def _read(self, conn: Connection, submissions: list[int]) -> None:
        for submission, rows in history.rows_of(conn, [i for i in submissions if i not in self.by_id]).items():
            self.by_id[submission] = texts_of(rows)

    def remember(self, submission: int, texts: list[tuple[str, int | None]]) -> None:
        """The texts of a form this run has just stored (its rows as taken: they are what was stored), so that
        the next :meth:`index` need not read them back."""
        self.by_id[submission] = texts


def ingest_flags(conn: Connection, unit: str, year: int, rows: Sequence[Mapping], rules: Rules,
                 stored: StoredTexts | None = None,
                 texts: Sequence[tuple[str, int | None]] | None = None,
                 recorded: Collection[str] | None = None) -> list[QualityFlag]:
    """The flags of a form being taken in (its rows not stored yet), against what the archive holds. Alike texts are
    looked for while the year's rows, this form's with them, are within the pairs the 质量 sheet compares
    (``FUZZY_PAIRS``): a run of a thousand forms then costs what one 质量 sheet does, not a thousand of them.
    ``texts``: the rows' :func:`texts_of`, when the caller has them already. A text the unit had in an earlier form
    of the year is compared only with what other units had before that form (``FirstHad``). ``recorded``: the names
    the unit's earlier forms may be recorded under (``Roster.recorded_names``: renamed, its form of last year is
    still last year's)."""
    others = (stored or StoredTexts()).index(conn, year, rules.copy_threshold)
    names = recorded or unit
    if not isinstance(names, str) and len(names) == 1:  # one name (most units): the query built once, not each time
        names = next(iter(names))
    forms = history.accepted_forms(conn, up_to_year=year, unit=names)
    earlier = [f for f in forms if f["year"] < year and f["superseded_by"] is None]
    same_year = None
    if earlier:
        previous = max(earlier, key=lambda f: (f["year"], order_key(f)))
        before = [point_of(r) for r in history.rows_of(conn, [previous["id"]])[previous["id"]]]
        now = [point_of(r) for r in rows]
        if compare(unit, year, previous["year"], before, now, rules.change_threshold).same_as_previous:
            same_year = previous["year"]
    texts = texts_of(rows) if texts is None else texts
    had = FirstHad(conn, [(f["id"], unit) for f in forms if f["year"] == year], rules.copy_threshold)
    year_rows = others.held - len(others.by_unit.get(unit, ())) + len(rows)
    return form_flags(unit, rows, rules, others=others, same_as_year=same_year,
                      fuzzy=year_rows ** 2 // 2 <= FUZZY_PAIRS, texts=texts,
                      since=had.since(unit, texts, NEW))


def flags_by_risk(flags: Iterable[QualityFlag]) -> dict[int, list[dict]]:
    """Row flags by stored risk id (for ``risks --json``), each as its dict."""
    found: dict[int, list[dict]] = {}
    for flag in flags:
        if flag.risk_id is not None:
            found.setdefault(flag.risk_id, []).append(flag.as_dict())
    return found
