"""A workspace declares its own form kind in forms/*.toml; it is written blank and read back like the built-in one."""

import datetime as dt
import json

import pytest

from lzdocs.documents.blankform import write_docx, write_xlsx
from lzdocs.forms.schema import load_kinds
from lzdocs.ingest import Ingest
from lzdocs.store import submissions as subs

pytestmark = pytest.mark.both_backends  # the archive on SQLite and on PostgreSQL

PLEDGE = """\
key = "pledge"
title = "廉洁从业承诺登记表"

[header.unit]
label = "单位"
synonyms = ["单位", "部门"]
required = true

[header.date]
label = "登记日期"
synonyms = ["登记日期", "日期"]

[[fields]]
key = "name"
label = "姓名"
synonyms = ["姓名", "承诺人"]
required = true

[[fields]]
key = "title"
label = "职务"
synonyms = ["职务", "岗位"]

[[fields]]
key = "promise"
label = "承诺事项"
synonyms = ["承诺事项", "承诺内容"]
required = true
"""

ROWS = [{"name": "张三", "title": "处长", "promise": "不收受礼品礼金"},
        {"name": "李四", "title": "科长", "promise": "不违规插手工程项目"}]


def test_a_workspace_form_kind_is_written_and_ingested(workspace, store):
    (workspace.root / "forms" / "pledge.toml").write_text(PLEDGE, encoding="utf-8")
    kinds = {k.key: k for k in load_kinds(workspace.root / "forms")}
    assert set(kinds) == {"risk", "check", "pledge"}
    write_docx(kinds["pledge"], workspace.inbox / "承诺.docx", unit="基建处", rows=ROWS, date=dt.date(2026, 3, 1))
    write_xlsx(kinds["pledge"], workspace.inbox / "承诺.xlsx", unit="图书馆", rows=ROWS[:1], date=dt.date(2026, 3, 2))

    outcomes = Ingest(workspace, store, today=dt.date(2026, 11, 28)).run_inbox()
    assert [(o.status, o.unit, o.rows) for o in outcomes] == [("accepted", "基建处", 2), ("accepted", "图书馆", 1)]
    with store.read() as conn:
        rows = list(subs.current_risks(conn, kind="pledge"))
        assert list(subs.current_risks(conn, kind="risk")) == []
    assert sorted((r["unit"], r["row_no"], json.loads(r["extra"])["promise"]) for r in rows) == [
        ("图书馆", 4, ROWS[0]["promise"]), ("基建处", 2, ROWS[0]["promise"]), ("基建处", 3, ROWS[1]["promise"])]
    assert all(set(json.loads(r["extra"])) == {"name", "title", "promise"} for r in rows)


def test_a_pledge_missing_its_required_column_is_rejected(workspace, store):
    (workspace.root / "forms" / "pledge.toml").write_text(PLEDGE, encoding="utf-8")
    kind = {k.key: k for k in load_kinds(workspace.root / "forms")}["pledge"]
    write_docx(kind, workspace.inbox / "承诺.docx", unit="基建处", rows=[{"name": "张三", "title": "处长"}])
    [out] = Ingest(workspace, store).run_inbox()
    assert out.status == "rejected" and "承诺事项" in out.errors[0].message
