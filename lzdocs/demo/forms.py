"""The demo's forms: a dozen as departments send them, over three weeks that end today."""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass
from pathlib import Path

from lzdocs.demo.samples import RESUBMITTED_EXTRA, SAMPLES
from lzdocs.documents.blankform import write_docx as _write_docx
from lzdocs.documents.blankform import write_xlsx as _write_xlsx
from lzdocs.forms.schema import risk_kind
from lzdocs.fsutil import atomic_output
from lzdocs.ooxml.package import rewrite_package
from lzdocs.textutil import chinese_date

FIELDS = ("post", "duties", "risk", "category", "level", "measures", "owner")


def _rows(unit: str) -> list[dict]:
    return [dict(zip(FIELDS, row), seq=str(i)) for i, row in enumerate(SAMPLES[unit], 1)]


@dataclass(frozen=True)
class Timeline:
    """The demo's programme, laid out over the three weeks before today so that every date is in the past."""

    start: dt.date

    @classmethod
    def ending(cls, today: dt.date) -> Timeline:
        """Three weeks before ``today`` — moved earlier, when that would put the deadline in the New Year after forms
        of December, so that the deadline is 12-31: a deadline of January 1–9 is every year's, and the year before's
        would be a year early (a late batch after New Year is still that year's, 补报)."""
        start = today - dt.timedelta(days=20)
        return cls(min(start, dt.date(start.year, 12, 22)))

    def day(self, n: int) -> dt.date:
        return self.start + dt.timedelta(days=n)

    @property
    def deadline(self) -> dt.date:
        return self.day(9)

    @property
    def received(self) -> tuple[dt.datetime, dt.datetime]:
        """When the on-time batch and the late batch reached the inbox."""
        return (dt.datetime.combine(self.day(8), dt.time(16, 30)), dt.datetime.combine(self.day(12), dt.time(10, 0)))


def write_sample_forms(inbox: Path, timeline: Timeline, batch: int, school: str = "") -> list[Path]:
    """A dozen forms as departments send them: Word and Excel, aliases, merges, odd spellings, two with mistakes.

    Batch 1 arrives before the deadline, batch 2 after it (late forms and a corrected resubmission). Each is titled
    as the notice asks, with ``school`` and the programme's year (“内蒙古工业大学2026年度…”): a late form dated after
    New Year is still that year's (补报)."""
    kind = risk_kind()
    day = timeline.day
    write_docx = functools.partial(_write_docx, school=f"{school}{timeline.deadline.year}年度")
    write_xlsx = functools.partial(_write_xlsx, school=f"{school}{timeline.deadline.year}年度")
    if batch == 2:
        again = _rows("计划财务处") + [dict(zip(FIELDS, RESUBMITTED_EXTRA), seq="5")]
        return [
            write_xlsx(kind, inbox / "教务处.xlsx", unit="教务处", rows=_rows("教务处"), date=day(11)),
            write_xlsx(kind, inbox / "组织部.xlsx", unit="党委组织部", rows=_rows("组织部"), date=day(12)),
            # A corrected form from 计划财务处: it supersedes the first one.
            write_xlsx(kind, inbox / "计划财务处（修改稿）.xlsx", unit="计财处", rows=again, date=day(12)),
        ]
    made = [
        write_docx(kind, inbox / "计划财务处-岗位风险分析和防控措施表.docx", unit="计划财务处",
                   rows=_rows("计划财务处"),
                   date=day(1), merge_posts=True),
        write_xlsx(kind, inbox / "基建处风险点.xlsx", unit="基建处", rows=_rows("基建处"), date=day(3)),
        write_docx(kind, inbox / "国资处.docx", unit="国资处", rows=_rows("国有资产管理处"), date=day(5)),
        write_xlsx(kind, inbox / "招生就业处.xlsx", unit="招生就业处", rows=_rows("招生就业处"), date=day(8)),
        write_docx(kind, inbox / "人事处（盖章版）.docx", unit="人事部", rows=_rows("人事处"), date=day(7),
                   merge_posts=True),
        write_xlsx(kind, inbox / "科技处-风险防控表.xlsx", unit="科技处", rows=_rows("科学技术处"), date=day(8)),
        write_docx(kind, inbox / "后勤管理处.docx", unit="后勤管理处", rows=_rows("后勤管理处"), date=day(6)),
        write_docx(kind, inbox / "图书馆.docx", unit="图书馆", rows=_rows("图书馆"), date=day(4)),
    ]
    _chinese_date(made[2], day(5))
    # Two forms with mistakes: a level nobody can read and a post left out; a unit not on the roster.
    bad = _rows("组织部")[:1] + [dict(post="宣传干事", duties="新闻宣传", risk="收受有偿新闻费用", level="很高",
                                     measures="执行新闻宣传纪律"),
                              dict(risk="网站内容审核不严", level="三级", measures="三审三校")]
    made.append(write_docx(kind, inbox / "宣传部.docx", unit="宣传部", rows=bad, date=day(8)))
    made.append(write_xlsx(kind, inbox / "网络信息中心.xlsx", unit="网络与信息中心", rows=_rows("图书馆"), date=day(8)))
    return made


def _chinese_date(path: Path, date: dt.date) -> None:
    """Rewrite the date of a .docx in Chinese numerals, as some offices type it (二〇二六年十一月十二日)."""
    written, typed = chinese_date(date).encode(), chinese_date(date, numerals=True).encode()
    edit = {"word/document.xml": lambda xml: xml.replace(written, typed)}
    with atomic_output(path, durable=False) as fh:
        rewrite_package(io.BytesIO(path.read_bytes()), fh, edit)
