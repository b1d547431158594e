"""The items (件) of a year's 归档 package, their order and 档号, following DA/T 22—2015 (归档文件整理规则)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lzdocs.errors import ConfigError
from lzdocs.settings import RETENTION

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lzdocs.settings import Settings
    from lzdocs.workspace import Workspace

PERIODS = tuple(RETENTION)  # 永久, 定期30年, 定期10年: the order of the classes (DA/T 22: by 保管期限 first)
FORMS, SUMMARY, NOTICE, PUBLICITY = "forms", "summary", "notice", "publicity"  # [archive] keys besides letter kinds
SUMMARY_NAME = "年度廉政风险防控工作总结"


@dataclass(frozen=True)
class Scheme:
    """How a workspace numbers its items: 全宗号, 机构（问题）代码 and the 保管期限 of each kind ([archive])."""

    fonds: str
    organ: str
    periods: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings, defaults: dict) -> Scheme:
        section = {**defaults, **settings.section("archive")}
        fonds = str(section.get("fonds") or "").strip()
        if not fonds:
            raise ConfigError("还没有设置全宗号（lzdocs.toml 的 [archive] fonds），不能归档",
                              hint='请向档案馆确认本单位的全宗号后写入，如 fonds = "Z123"')
        return cls(fonds, str(section["organ"]), {k: str(v) for k, v in section.items() if k not in ("fonds", "organ")})

    def period(self, kind: str) -> str:
        return self.periods.get(kind, "永久")  # a kind with no setting is kept for good: the safe side

    def reference(self, year: int, period: str, seq: int) -> str:
        return f"{self.fonds}-{year}-{RETENTION[period]}-{self.organ}-{seq:04d}"


@dataclass
class Item:
    """One 件: a document issued, the year's summary or a unit's form, with what the 归档文件目录 says of it."""

    kind: str  # a letter kind, notice, summary or forms
    source: Path  # the original file in the workspace
    title: str  # 题名
    author: str  # 责任者
    number: str  # 文号 ('' for forms and the summary)
    date: dt.date
    period: str  # 保管期限
    note: str = ""  # 备注
    matter: tuple = ()  # 事由: items of one matter (or one set) stay together (DA/T 22: 按时间结合事由)
    group: tuple = ()  # the order within the matter before time (a unit's forms together, in the roster's order)
    key: str = ""  # what it is in the archive (document:3, submission:12, summary:file): the snapshot compares it
    sha256: str = ""  # recorded when it was issued or received ('' when nothing was recorded)
    seq: int = 0  # 件号
    reference: str = ""  # 档号
    pages: int = 0  # 页数: of its PDF
    files: dict[str, str] = field(default_factory=dict)  # original / pdf → name in the package


def order_items(items: list[Item], scheme: Scheme, year: int) -> list[Item]:
    """Sort into classes — 保管期限 (永久, 定期30年, 定期10年), then 机构（问题） — and within a class by time
    combined with 事由 (DA/T 22—2015 §7): a matter is placed at its earliest date, its items together in time order.
    Number each class's items 0001, 0002 … (件号) and give each its 档号."""
    first: dict[tuple, dt.date] = {}
    for item in items:
        first[item.matter] = min(first.get(item.matter, item.date), item.date)
    ordered = sorted(items, key=lambda i: (PERIODS.index(i.period), scheme.organ, first[i.matter], i.matter,
                                           i.group, i.date, i.number, i.key))
    seq_in: dict[str, int] = {}
    for item in ordered:
        seq_in[item.period] = item.seq = seq_in.get(item.period, 0) + 1
        item.reference = scheme.reference(year, item.period, item.seq)
    return ordered


def plan_items(conn: Connection, ws: Workspace, year: int, scheme: Scheme,
               summary: Path | None = None) -> tuple[list[Item], list[dict]]:
    """(the items of ``year`` in order, the voided numbers). Items: every document issued with a file
    (letters, notices; a 作废 number is no item — it is listed with its reason; a 批评教育 has no file), the
    ``summary`` (``choose_summary``), and each unit's current accepted form of each kind (a superseded form is an
    earlier version)."""
    from lzdocs.store import documents as docs_q

    items, voided = [], []
    for d in docs_q.list_documents(conn, year):
        if d["status"] == docs_q.VOID:
            voided.append({"number": d["number"], "title": d["title"], "recipient": d["recipient"],
                           "issued": d["issued"].isoformat(),
                           "voided": d["voided"].isoformat() if d["voided"] else None,
                           "reason": d["void_reason"]})
        elif d["file"]:
            items.append(_document_item(ws, d, scheme))
    items += [_summary_item(ws, year, scheme, summary)] if summary else []
    items += _posted_items(conn, ws, year, scheme)
    items += _form_items(conn, ws, year, scheme)
    missing = [i for i in items if not i.source.is_file()]
    if missing:
        names = "、".join(ws.relative(i.source) for i in missing[:5])
        raise ConfigError(f"{year} 年度有 {len(missing)} 份文件在工作区里找不到（{names}），不能归档",
                          hint="请把文件放回原处（或运行 lzdocs verify 查看），再重新归档")
    return order_items(items, scheme, year), voided


def _document_item(ws: Workspace, d, scheme: Scheme) -> Item:
    from lzdocs.documents.letters import KINDS

    notice = d["kind"] == NOTICE
    author = _issuer_of(ws.settings, d["code"]) if notice else ws.settings.text("organisation", "issuer")
    title = d["title"] if notice else f"{d['title']}（{d['recipient']}）"
    period = scheme.period(d["kind"] if d["kind"] in KINDS or notice else NOTICE)
    note = "文号由外部编定" if d["origin"] == "assigned" else ""
    return Item(d["kind"], ws.root / d["file"], title, author, d["number"], d["issued"], period, note,
                matter=("document", d["id"]), key=f"document:{d['id']}", sha256=d["sha256"])


def _issuer_of(settings: Settings, code: str) -> str:
    """The organ whose 机关代字 a notice carries ([issuers]), else the workspace's issuer."""
    found = next((str(name) for name, c in settings.section("issuers").items() if c == code), None)
    return found or settings.text("organisation", "issuer")


def _summary_item(ws: Workspace, year: int, scheme: Scheme, path: Path) -> Item:
    from types import SimpleNamespace

    from lzdocs.documents.summary_doc import title_of

    title = title_of(SimpleNamespace(year=year), ws.school)  # the report's own title (it needs only the year)
    return Item(SUMMARY, path, title, ws.settings.text("organisation", "issuer"),
                "", _signed_on(path), scheme.period(SUMMARY), matter=("summary",), key=f"summary:{path.name}")


def _posted_items(conn: Connection, ws: Workspace, year: int, scheme: Scheme) -> list[Item]:
    """Each 公示表 posted for ``year`` (``lzdocs publicity``): what the office showed, and for which days."""
    from lzdocs.documents.publicity import period_text, signed_by
    from lzdocs.documents.publicity_post import postings

    return [Item(PUBLICITY, ws.root / p.file,
                 f"{ws.school}{year}年廉政风险点公示表（公示期{period_text(p.start, p.end)}）",
                 signed_by(ws), "", p.at.date(), scheme.period(PUBLICITY), matter=("publicity", p.file),
                 key=f"publicity:{p.file}", sha256=p.sha256)
            for p in postings(conn, year)]


def choose_summary(conn: Connection, ws: Workspace, year: int, chosen: Path | None = None) -> tuple[Path | None, str]:
    """The 总结 the 归档 package takes for ``year``, and a 提醒 ('' when none), or ConfigError.

    Without ``chosen``: the newest one ``lzdocs summary`` wrote or ``summary --final`` recorded (in the manifest;
    edited since by the clerk is fine — that is how it is finished), and only when its numbers still hold; a draft
    written after the newest 定稿 makes the choice the clerk's: counted again as of the day it was
    written, they must be the same (a form taken or corrected, a letter or a case added since changes them). A
    .docx in the folder that lzdocs did not write (…（定稿）.docx) makes the choice the clerk's: ``chosen`` names
    the one to take, inside outbox/<year>/总结/, taken even when out of date (the 提醒 says so). None: no summary."""
    from lzdocs.documents.summary_final import final_paths, is_summary_name, newest_summary
    from lzdocs.documents.summary_report import SUMMARY_DIR
    from lzdocs.store import files

    folder = ws.year_dir(year) / SUMMARY_DIR
    if chosen is not None:
        path = _in_summary_folder(ws, folder, year, chosen)
        stale = stale_numbers(conn, ws, year, path)
        return path, f"指定的总结 {path.name} 中的数字已过时（{stale}），已按指定的归档" if stale else ""
    on_disk = sorted(p for p in folder.iterdir() if is_summary_name(p.name) and p.is_file()) \
        if folder.is_dir() else []
    if not on_disk:
        return None, ""
    rows = [r for r in files.all_files(conn, prefix=ws.relative(folder) + "/") if r["role"] == "summary"]
    written = {ws.root / r["path"]: r for r in rows}
    others = [p for p in on_disk if p not in written]
    if others:
        names = "、".join(p.name for p in others[:5]) + (f" 等 {len(others)} 份" if len(others) > 5 else "")
        raise ConfigError(f"{year} 年度的总结文件夹里有不是 lzdocs summary 生成的总结：{names}，不知道归档哪一份",
                          hint=f"是本处改好的定稿就先登记它：lzdocs summary --final \"{ws.relative(others[-1])}\"；"
                               f"或用 --summary 指定要归档的那一份，如 lzdocs archive --year {year} "
                               f"--summary \"{others[-1].name}\" 归档文件夹；不需要的请移出 {ws.relative(folder)}")
    path = ws.root / newest_summary(conn, [written[p] for p in on_disk if p in written])["path"]
    finals = {ws.root / p: n for p, n in final_paths(conn, year).items() if ws.root / p in on_disk}
    if finals and path not in finals:  # a draft written after the 定稿: which is meant, the clerk says
        final = max(finals, key=finals.get)
        raise ConfigError(f"{year} 年度登记了总结定稿 {final.name}，之后又生成了总结 {path.name}，不知道归档哪一份",
                          hint=f"归档定稿：lzdocs archive --year {year} --summary \"{final.name}\" 归档文件夹；"
                               f"要用新生成的，改好后先登记：lzdocs summary --final \"{ws.relative(path)}\"")
    if stale := stale_numbers(conn, ws, year, path):
        raise ConfigError(f"{year} 年度的总结 {path.name} 写成以后，档案库中该年度的数字有了变化（{stale}），"
                          "总结中的数字已经过时",
                          hint=f"请运行 lzdocs summary --year {year} 重新生成、核对修改后再归档；确要按这一份归档，"
                               f"用 --summary \"{path.name}\" 指定")
    return path, ""


def _in_summary_folder(ws: Workspace, folder: Path, year: int, chosen: Path) -> Path:
    """``chosen`` (a path, or a name in the folder) as a .docx file in outbox/<year>/总结/, or ConfigError."""
    from lzdocs.fsutil import display_name, is_undecodable

    path = chosen if chosen.is_absolute() or chosen.exists() else folder / chosen
    if is_undecodable(path.name):
        raise ConfigError(f"--summary 指定的“{display_name(path.name)}”文件名不是 UTF-8 编码，不能归档",
                          hint="请在 WPS 或 Word 中把它另存为一个新的文件名，"
                               "登记为定稿（lzdocs summary --final）后再归档")
    try:
        inside = Path(os.path.realpath(path)).parent == Path(os.path.realpath(folder))
    except OSError:
        inside = False
    if not path.is_file() or path.suffix.lower() != ".docx" or not inside:
        raise ConfigError(f"--summary 指定的“{chosen}”不是 {ws.relative(folder)} 中的 .docx 文件",
                          hint=f"请把要归档的总结（.docx）放进 {ws.relative(folder)}，再用 --summary 写它的文件名")
    return folder / path.name


def stale_numbers(conn: Connection, ws: Workspace, year: int, path: Path) -> str:
    """Why the numbers of the summary at ``path`` no longer hold ('' when they do, or when lzdocs did not write it
    or wrote it before it kept their fingerprint): counted again as of the day it was written. A 定稿 recorded with
    ``summary --final`` carries the numbers of the summary it was finished from (documents/summary_final.py)."""
    import json

    from sqlalchemy import select

    from lzdocs.documents.summary import figures_digest, year_summary
    from lzdocs.documents.summary_final import FINAL_EVENT
    from lzdocs.documents.summary_report import SUMMARY_EVENT
    from lzdocs.dynamics.changes import threshold_of
    from lzdocs.store.schema import events

    after = conn.execute(select(events.c.after).where(events.c.action.in_([SUMMARY_EVENT, FINAL_EVENT]),
                                                      events.c.subject == ws.relative(path))
                         .order_by(events.c.id.desc()).limit(1)).scalar()
    written = json.loads(after) if after else {}
    if not written.get("figures"):
        return ""
    day = dt.date.fromisoformat(written["today"])
    roster = ws.roster()
    now = year_summary(conn, year, day, roster=roster, deadline=ws.settings.deadline(year),
                       threshold=threshold_of(ws.settings))
    if figures_digest(now) == written["figures"]:
        return ""
    then, counted = (written.get("units"), written.get("points")), (len(now.on_time) + len(now.late), now.total)
    if None in then or then == counted:
        return "预警、案例、变化等数字与档案库现在的不一致"
    return (f"总结写的是 {then[0]} 个单位报送、{then[1]} 个风险点，"
            f"档案库现在是 {counted[0]} 个单位、{counted[1]} 个风险点")


def _signed_on(path: Path) -> dt.date:
    """The summary's 成文日期: its last paragraph that is a date (2026年11月28日); else the file's day (shown
    only, no decision rests on it)."""
    import docx

    from lzdocs.textutil import chinese_date, parse_date

    for paragraph in reversed(docx.Document(str(path)).paragraphs):
        text = paragraph.text.strip()
        day = parse_date(text)
        if day and text in (chinese_date(day), chinese_date(day, numerals=True)):  # the line is that date alone
            return day
    return dt.date.fromtimestamp(path.stat().st_mtime)


def _form_items(conn: Connection, ws: Workspace, year: int, scheme: Scheme) -> list[Item]:
    """Each unit's current form of each kind; the forms of a year are one set (成套, DA/T 22 §7), by unit in the
    roster's order, so a unit's forms stay together."""
    from lzdocs.forms.schema import load_kinds
    from lzdocs.store import submissions as subs_q

    order = {name: i for i, name in enumerate(ws.roster().names)}
    items = []
    for kind in load_kinds(ws.root / "forms"):
        for s in subs_q.submissions_for_year(conn, year, kind.key):
            if s["status"] != "accepted" or s["superseded_by"] is not None or not s["stored_as"]:
                continue
            day = s["filled_date"] or s["arrived_on"] or s["received_at"].date()
            note = f"原文件名：{s['original_name']}" + ("；更正后重报，替代此前报送的表" if s["supersedes"] else "")
            items.append(Item(FORMS, ws.root / s["stored_as"], f"{s['unit']}{year}年{kind.title}", s["unit"], "",
                              day, scheme.period(FORMS), note, key=f"submission:{s['id']}", sha256=s["sha256"],
                              matter=("forms",), group=(order.get(s["unit"], len(order)), s["unit"])))
    return items
