"""The 公示表 (public notice of risk points): a Word template rendered once, its data row repeated as a stream.

The template (``公示表.docx``; a workspace's own copy in templates/ wins) is rendered like every other
template — docxtpl tags, autoescape on, undefined variables are errors — with ``rows`` holding one
row of markers. The table row that carries the markers is then cut out of document.xml and written
once per risk point with the real text, straight into the new package: memory stays flat however many
risk points there are.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.documents.xlsx_writer import UNSAFE_TEXT, WarningLog, clean_text, escape
from lzdocs.errors import ConfigError, TemplateError
from lzdocs.fsutil import atomic_output
from lzdocs.ooxml.package import FAST_LEVEL, read_part, rewrite_package
from lzdocs.ooxml.splice import split_at_marker
from lzdocs.settings import date_setting
from lzdocs.textutil import chinese_date

if TYPE_CHECKING:
    from lzdocs.settings import Settings
    from lzdocs.workspace import Workspace

TEMPLATE_NAME = "公示表.docx"
ROW_FIELDS = {"unit": "单位", "seq": "序号", "post": "岗位名称", "duties": "岗位职责", "risk": "风险点描述",
              "category": "风险类别", "level": "风险等级", "measures": "防控措施", "owner": "责任人",
              "filled_date": "填表日期"}
_MARK = "LZDOCSFIELD"
_MARKER = re.compile(rf"@@{_MARK}_(\w+)@@")
_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
DOCUMENT_PART = "word/document.xml"
DEFAULT_DAYS = 7
ROW_LOOP_HINT = "在表格中保留 {%tr for r in rows %} 行、一行 {{ r.unit }} 等字段、{%tr endfor %} 行"


def publicity_context(ws: Workspace, year: int, today: dt.date, *,
                       period: tuple[dt.date, dt.date] | None = None,
                       posted: tuple[dt.date, dt.date] | None = None) -> dict:
    """The template's variables (all but ``rows``). ``period``: the 公示期 to print (a posting's); otherwise
    :func:`publicity_period`, given the 公示期 of the year's last posting, if any (``posted``)."""
    school, settings = ws.school, ws.settings
    start, end = period or publicity_period(settings, today, posted)
    return {"title": f"{school}{year}年廉政风险点公示表", "school": school, "year": year, "office": signed_by(ws),
            "date": chinese_date(today), "show_owner": bool(settings.get("publicity", "show_owner", False)),
            "period": period_text(start, end), "period_start": chinese_date(start), "period_end": chinese_date(end),
            "days": (end - start).days + 1, "phone": settings.text("publicity", "phone").strip(),
            "email": settings.text("publicity", "email").strip()}


def signed_by(ws: Workspace) -> str:
    """Who signs the 公示表 (its 落款, and its 责任者 in the 归档 package): ``[organisation] office``, else the
    school."""
    return str(ws.settings.get("organisation", "office", "") or ws.school)


def publicity_period(settings: Settings, today: dt.date, posted: tuple[dt.date, dt.date] | None = None, *,
                     start: dt.date | None = None, days: int | None = None) -> tuple[dt.date, dt.date]:
    """公示期, first and last day: ``[publicity] start`` to ``end`` (default: ``days`` days counting both ends).
    Neither set, the 公示期 the year's 公示表 was last posted with (``posted``, documents/publicity_post.py), else
    from ``today``: a 公示表 posted on 1 December still says so when a late form rewrites it on the 3rd. ``start``
    and ``days`` given (``lzdocs publicity --start --days``) win over the settings, ``end`` then counted from them.
    Raises ConfigError when it would end before it starts."""
    overridden = start is not None or days is not None  # the settings they replace are not read
    first = None if start is not None else date_setting(settings, "publicity", "start")
    last = None if overridden else date_setting(settings, "publicity", "end")
    if not overridden and posted is not None and first is None and last is None:
        return posted
    start = start or first or today
    end = (None if overridden else last) or start + dt.timedelta(
        days=(days or settings.integer("publicity", "days", DEFAULT_DAYS)) - 1)
    if end < start:
        raise ConfigError(f"lzdocs.toml 中 [publicity] 的公示期结束日期 {end.isoformat()} "
                          f"早于开始日期 {start.isoformat()}",
                          hint='请改正 start、end，或把 end 留空（end = ""），按 days 推算')
    return start, end


def period_text(start: dt.date, end: dt.date) -> str:
    """2026年11月28日至12月4日 (the year once when both days are in it), or one day alone."""
    if start == end:
        return chinese_date(start)
    last = chinese_date(end) if end.year != start.year else f"{end.month}月{end.day}日"
    return f"{chinese_date(start)}至{last}"


def write_publicity(template: Path, dest: Path, context: dict, rows: Iterable[dict], *,
                    cache_dir: Path | None = None) -> list[str]:
    """Render the 公示表 to ``dest`` (whole or not at all) with one table row per item of ``rows``.

    ``rows`` are dicts with the keys of ROW_FIELDS as display text. Returns the warnings (text that had
    characters Word cannot hold). Raises TemplateError when the template is broken or has no row loop.
    ``cache_dir``: where the workspace keeps prepared templates (``Workspace.prepared_templates``).
    """
    with PublicityTable(template, dest.name, context, cache_dir=cache_dir) as table:
        return table.save(dest, rows)


class PublicityTable:
    """The 公示表 rendered from ``template`` (TemplateError when it is broken or has no row loop), its table rows to
    come: :meth:`add` takes them one by one as they are read (e.g. beside the 汇总, from the same read of the
    archive), held as XML in a temporary file (in memory while small); :meth:`save` writes the document with them
    and any further ``rows`` streamed after them. ``label``: the file's name, for the warnings."""

    def __init__(self, template: Path, label: str, context: dict, *, cache_dir: Path | None = None):
        from lzdocs.documents.templating import load_template  # Jinja and lxml: only the 公示表 needs them

        self.frame = io.BytesIO(load_template(template, cache_dir=cache_dir).render(
            {**context, "rows": [_marker_row()]}))
        cut = split_at_marker(read_part(self.frame, DOCUMENT_PART), f"@@{_MARK}_", "w:tr")
        if cut is None or _MARKER.search(cut.suffix):
            raise TemplateError(f"公示表模板 {template.name} 中应有且只有一处表格行循环", hint=ROW_LOOP_HINT)
        self.cut = cut
        self.pieces = _MARKER.split(cut.row)  # literal, field, literal, field, …, literal
        # the last row is written kept with the 署名 under the table
        self.last_pieces = [keep_with_next(piece) if i % 2 == 0 else piece for i, piece in enumerate(self.pieces)]
        self.log = WarningLog(label)
        self._rows = tempfile.SpooledTemporaryFile(max_size=4 << 20)  # noqa: SIM115 - closed by close()
        self._batch: list[str] = []
        self._held: dict | None = None  # the row before: written once the next one comes, or last
        self._n = 0

    def __enter__(self) -> PublicityTable:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, row: dict) -> None:
        """One row of the table, after those added before."""
        if (xml := self._push(row)) is not None:
            self._batch.append(xml)
            if len(self._batch) >= 500:
                self._rows.write(self._take_batch())

    def _push(self, row: dict) -> str | None:
        """Hold ``row``; the XML of the row held before it, if any."""
        held, self._held = self._held, row
        self._n += 1
        return None if held is None else _row_xml(self.pieces, held, self._n - 1, self.log)

    def _take_batch(self) -> bytes:
        data = "".join(self._batch).encode("utf-8")
        self._batch.clear()
        return data

    def save(self, dest: Path, rows: Iterable[dict] = (), *,
             before_replace: Callable[[Path], None] | None = None) -> list[str]:
        """Write the document to ``dest`` with the rows added, then ``rows`` (read as it is written); returns the
        warnings. ``before_replace``: see ``fsutil.atomic_output``."""

        def write_document(_frame_xml: bytes) -> Iterator[bytes]:
            yield self.cut.prefix.encode("utf-8")
            self._rows.seek(0)
            yield from iter(lambda: self._rows.read(1 << 20), b"")
            for row in rows:
                if (xml := self._push(row)) is not None:
                    self._batch.append(xml)
                    if len(self._batch) >= 500:
                        yield self._take_batch()
            if self._held is not None:
                self._batch.append(_row_xml(self.last_pieces, self._held, self._n, self.log))
            yield self._take_batch()
            yield self.cut.suffix.encode("utf-8")

        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(dest, before_replace=before_replace) as fh:
            rewrite_package(self.frame, fh, {DOCUMENT_PART: write_document}, level=FAST_LEVEL)
        return self.log.warnings

    def close(self) -> None:
        self._rows.close()


_PARAGRAPH_START = re.compile(r"<w:pPr>(?:<w:pStyle [^>]*/>)?|<w:pPr/>|<w:p(?: [^>]*)?>(?!<w:pPr)")


def keep_with_next(xml: str) -> str:
    """``xml`` with every paragraph kept with the next (``<w:keepNext/>``, in schema order after a pStyle): on
    the table's last row, so that the 署名 and date under the table never go to a page of their own."""
    if "<w:keepNext" in xml:
        return xml

    def add(m: re.Match) -> str:
        tag = m.group(0)
        if tag == "<w:pPr/>":
            return "<w:pPr><w:keepNext/></w:pPr>"
        if tag.startswith("<w:pPr>"):
            return tag + "<w:keepNext/>"
        return tag + "<w:pPr><w:keepNext/></w:pPr>"

    return _PARAGRAPH_START.sub(add, xml)


def _marker_row() -> dict:
    return {key: f"@@{_MARK}_{key}@@" for key in ROW_FIELDS}


def _row_xml(pieces: list[str], row: dict, n: int, log: WarningLog) -> str:
    """The XML of table row ``n`` (1-based, for warnings): ``pieces`` (literal, field, …, literal) with each field's
    text cleaned of what XML cannot hold and escaped. One search over all the row's texts finds nothing to clean or
    escape in most rows; only then is each field looked at."""
    keys = pieces[1::2]
    texts = [("" if (value := row.get(key)) is None else (value if value.__class__ is str else str(value)).strip())
             for key in keys]
    joined = "".join(texts)
    if UNSAFE_TEXT.search(joined):
        texts = [_cleaned(text, key, row, n, log) for text, key in zip(texts, keys)]
    if "\n" in joined:
        texts = [text.replace("\n", _BREAK) for text in texts]
    out = pieces.copy()
    out[1::2] = texts
    return "".join(out)


def _cleaned(text: str, key: str, row: dict, n: int, log: WarningLog) -> str:
    """``text`` without the characters XML forbids (a warning says so), escaped."""
    if not UNSAFE_TEXT.search(text):  # nothing to clean or escape
        return text
    text, problems = clean_text(text)
    for problem in problems:
        log.warn(f"第{n}行（{row.get('unit', '')}）“{ROW_FIELDS.get(key, key)}”：{problem}")
    return escape(text)
