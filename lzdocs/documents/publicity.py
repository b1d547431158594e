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
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from lzdocs.documents.xlsx_writer import WarningLog, clean_text
from lzdocs.errors import TemplateError
from lzdocs.fsutil import atomic_output
from lzdocs.ooxml.package import read_part, rewrite_package
from lzdocs.ooxml.splice import split_at_marker
from lzdocs.textutil import chinese_date

TEMPLATE_NAME = "公示表.docx"
ROW_FIELDS = {"unit": "单位", "seq": "序号", "post": "岗位名称", "duties": "岗位职责", "risk": "风险点描述",
              "category": "风险类别", "level": "风险等级", "measures": "防控措施", "owner": "责任人",
              "filled_date": "填表日期"}
_MARK = "LZDOCSFIELD"
_MARKER = re.compile(rf"@@{_MARK}_(\w+)@@")
_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
DOCUMENT_PART = "word/document.xml"


def publicity_context(ws, year: int, today: dt.date) -> dict:
    """The template's variables (all but ``rows``)."""
    school = ws.school
    return {"title": f"{school}{year}年廉政风险点公示表", "school": school, "year": year,
            "office": str(ws.settings.get("organisation", "office", "") or school),
            "date": chinese_date(today), "show_owner": bool(ws.settings.get("publicity", "show_owner", False))}


def write_publicity(template: Path, dest: Path, context: dict, rows: Iterable[dict]) -> list[str]:
    """Render the 公示表 to ``dest`` (whole or not at all) with one table row per item of ``rows``.

    ``rows`` are dicts with the keys of ROW_FIELDS as display text. Returns the warnings (text that had
    characters Word cannot hold). Raises TemplateError when the template is broken or has no row loop.
    """
    from lzdocs.documents.templating import DocxTemplateFile  # Jinja, lxml and docxtpl: only the 公示表 needs them

    frame = io.BytesIO(DocxTemplateFile(template).render({**context, "rows": [_marker_row()]}))
    cut = split_at_marker(read_part(frame, DOCUMENT_PART), f"@@{_MARK}_", "w:tr")
    if cut is None or _MARKER.search(cut.suffix):
        raise TemplateError(f"公示表模板 {template.name} 中应有且只有一处表格行循环",
                            hint="在表格中保留 {%tr for r in rows %} 行、一行 {{ r.unit }} 等字段、{%tr endfor %} 行")
    pieces = _MARKER.split(cut.row)  # literal, field, literal, field, …, literal
    log = WarningLog(dest.name)

    def write_document(_frame_xml: bytes) -> Iterator[bytes]:
        yield cut.prefix.encode("utf-8")
        batch: list[str] = []
        for n, row in enumerate(rows, 1):
            batch.append(_row_xml(pieces, row, n, log))
            if len(batch) >= 500:
                yield "".join(batch).encode("utf-8")
                batch.clear()
        yield "".join(batch).encode("utf-8")
        yield cut.suffix.encode("utf-8")

    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(dest) as fh:
        rewrite_package(frame, fh, {DOCUMENT_PART: write_document})
    return log.warnings


def _marker_row() -> dict:
    return {key: f"@@{_MARK}_{key}@@" for key in ROW_FIELDS}


def _row_xml(pieces: list[str], row: dict, n: int, log: WarningLog) -> str:
    out = [pieces[0]]
    for i in range(1, len(pieces), 2):
        key = pieces[i]
        text, problems = clean_text("" if row.get(key) is None else str(row[key]).strip())
        for problem in problems:
            log.warn(f"第{n}行（{row.get('unit', '')}）“{ROW_FIELDS.get(key, key)}”：{problem}")
        out.append(escape(text).replace("\n", _BREAK))
        out.append(pieces[i + 1])
    return "".join(out)
