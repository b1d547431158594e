"""``lzdocs demo``: a workspace with realistic sample forms, run end to end, reporting what it made."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Callable

from lzdocs.documents.blankform import write_docx, write_xlsx
from lzdocs.documents.letters import demo_letters
from lzdocs.documents.registers import demo_registers
from lzdocs.demo_data.samples import RESUBMITTED_EXTRA, SAMPLES
from lzdocs.forms.schema import risk_kind
from lzdocs.ingest import Ingest
from lzdocs.store import Store
from lzdocs.workspace import Workspace

Echo = Callable[[str], None]
FIELDS = ("post", "duties", "risk", "category", "level", "measures", "owner")


def _rows(unit: str) -> list[dict]:
    return [dict(zip(FIELDS, row), seq=str(i)) for i, row in enumerate(SAMPLES[unit], 1)]


def write_sample_forms(inbox: Path, today: dt.date) -> list[Path]:
    """A dozen forms as departments send them: Word and Excel, aliases, merges, odd spellings, two with mistakes."""
    kind = risk_kind()
    year = today.year
    day = lambda m, d: dt.date(year, m, d)  # noqa: E731
    made = [
        write_docx(kind, inbox / "计划财务处-岗位风险分析和防控措施表.docx", unit="计划财务处", rows=_rows("计划财务处"),
                   date=day(11, 8), merge_posts=True),
        write_xlsx(kind, inbox / "基建处风险点.xlsx", unit="基建处", rows=_rows("基建处"), date=day(11, 10)),
        write_docx(kind, inbox / "国资处.docx", unit="国资处", rows=_rows("国有资产管理处"), date=day(11, 12)),
        write_xlsx(kind, inbox / "招生就业处.xlsx", unit="招生就业处", rows=_rows("招生就业处"), date=day(11, 15)),
        write_docx(kind, inbox / "人事处（盖章版）.docx", unit="人事部", rows=_rows("人事处"), date=day(11, 14),
                   merge_posts=True),
        write_xlsx(kind, inbox / "科技处-风险防控表.xlsx", unit="科技处", rows=_rows("科学技术处"), date=day(11, 16)),
        write_docx(kind, inbox / "后勤管理处.docx", unit="后勤管理处", rows=_rows("后勤管理处"), date=day(11, 13)),
        write_xlsx(kind, inbox / "教务处.xlsx", unit="教务处", rows=_rows("教务处"), date=day(11, 18)),
        write_docx(kind, inbox / "图书馆.docx", unit="图书馆", rows=_rows("图书馆"), date=day(11, 11)),
        write_xlsx(kind, inbox / "组织部.xlsx", unit="党委组织部", rows=_rows("组织部"), date=day(11, 20)),
    ]
    _chinese_date(made[2], f"{_cn_year(year)}年十一月十二日", day(11, 12))
    # A corrected form from 计划财务处, sent later: it supersedes the first one.
    again = _rows("计划财务处") + [dict(zip(FIELDS, RESUBMITTED_EXTRA), seq="5")]
    made.append(write_xlsx(kind, inbox / "计划财务处（修改稿）.xlsx", unit="计财处", rows=again, date=day(11, 21)))
    # Two forms with mistakes: a level nobody can read and a post left out; a unit not on the roster.
    bad = _rows("组织部")[:1] + [dict(post="宣传干事", duties="新闻宣传", risk="收受有偿新闻费用", level="很高",
                                     measures="执行新闻宣传纪律"), dict(risk="网站内容审核不严", level="三级", measures="三审三校")]
    made.append(write_docx(kind, inbox / "宣传部.docx", unit="宣传部", rows=bad, date=day(11, 15)))
    made.append(write_xlsx(kind, inbox / "网络信息中心.xlsx", unit="网络与信息中心", rows=_rows("图书馆"),
                           date=day(11, 15)))
    return made


def _cn_year(year: int) -> str:
    return "".join("〇一二三四五六七八九"[int(ch)] for ch in str(year))


def _chinese_date(path: Path, text: str, date: dt.date) -> None:
    """Rewrite the date of a .docx in Chinese numerals, as some offices type it (二〇二六年十一月十二日)."""
    tmp = path.with_suffix(".tmp")
    written = f"{date.year}年{date.month}月{date.day}日"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(written.encode(), text.encode())
            dst.writestr(item, data)
    tmp.replace(path)


def run_demo(directory: Path, *, echo: Echo, today: dt.date) -> dict:
    ws, _ = Workspace.init(directory)
    echo(f"演示工作区：{ws.root}")
    samples = write_sample_forms(ws.inbox, today)
    echo(f"已在 inbox/ 放入 {len(samples)} 份模拟表格（Word 和 Excel，含别名、合并单元格、中文日期、两份有错误）。")
    store = Store.for_workspace(ws)
    try:
        job = Ingest(ws, store, today=today)
        outcomes = job.run_inbox()
        report: dict = {"workspace": str(ws.root), "ingest": [o.as_dict() for o in outcomes], "files": []}
        _print_ingest(echo, outcomes)
        for step in STEPS:
            step(ws, store, today, echo, report, job.touched_years)
    finally:
        store.close()
    return report


def _print_ingest(echo: Echo, outcomes) -> None:
    accepted = [o for o in outcomes if o.status == "accepted"]
    rejected = [o for o in outcomes if o.status == "rejected"]
    echo(f"\n收取 {len(accepted)} 份：")
    for o in accepted:
        extra = f"，替换 {o.supersedes}" if o.supersedes else ""
        echo(f"  ✓ {o.file} → {o.unit}，{o.rows} 个风险点{extra}")
    echo(f"退回 {len(rejected)} 份（已移到 inbox/退回/，旁边有错误说明）：")
    for o in rejected:
        echo(f"  ✗ {o.file}")
        for p in o.errors:
            echo(f"      {p.describe()}")


# Later steps (registers, letters, notices) append themselves here: step(ws, store, today, echo, report, years).
STEPS: list[Callable] = [demo_letters, demo_registers]  # registers last: they list the letters too
