"""The copy check of the quality review: the row it names is the one rapidfuzz's extractOne picks among the other
units' texts, and the index kept over an ingest run is the year's current forms after each form stored or
superseded."""

import datetime as dt

from rapidfuzz import fuzz, process

from lzdocs.dynamics.quality import CopyIndex, Rules, StoredTexts, texts_of
from lzdocs.store import submissions as subs

TEXTS = ["虚报工程量骗取工程款", "虚报工程量骗取工程款项", "插手工程招投标谋取私利", "虚报工程数量骗取工程款",
         "违规审批大额资金支出", "利用职务便利挪用公款"]


def risk_rows(texts):
    return [{"row": i, "seq": str(i), "risk": t} for i, t in enumerate(texts, 1)]


def test_the_other_row_named_is_extract_ones_among_the_other_units(workspace):
    rules = Rules.load(workspace)
    index = CopyIndex([("甲处", risk_rows(TEXTS[:2])), ("乙处", risk_rows(TEXTS[2:4])), ("丙处", risk_rows(TEXTS[4:]))])
    query = ["虚报工程量骗取工程款啊", "违规审批大额资金的支出", "全新的一段风险点描述文字"]
    flags = index.copied_flags("甲处", risk_rows(query), rules)  # 甲处's own near-identical rows are not compared
    others = TEXTS[2:]
    expected = []
    for i, text in enumerate(query, 1):
        best = process.extractOne(text, others, scorer=fuzz.ratio, score_cutoff=rules.copy_threshold)
        if best:
            owner = "乙处" if best[2] < 2 else "丙处"
            row = best[2] % 2 + 1
            expected.append((i, owner, f"风险点描述与{owner}的表第{row}行几乎相同（相似度 {best[1]:.0f}）"))
    assert expected == [(1, "乙处", "风险点描述与乙处的表第2行几乎相同（相似度 91）"),
                        (2, "丙处", "风险点描述与丙处的表第1行几乎相同（相似度 95）")]
    assert [(f.row, f.from_unit, f.message.split("，请")[0]) for f in flags] == expected


def test_the_index_kept_over_a_run_is_the_years_current_forms(workspace, store):
    stored = StoredTexts()

    def add(unit, texts, filled):
        with store.begin() as conn:
            return subs.add_submission(conn, rows=risk_rows(texts), sha256=f"{unit}{filled}", status="accepted",
                                       kind="risk", unit=unit, year=2026, filled_date=filled,
                                       received_at=dt.datetime.now(), original_name=f"{unit}.docx",
                                       source=f"{unit}.docx", arrived_on=filled)[0]

    def index():
        with store.read() as conn:
            held = stored.index(conn, 2026)
        return [(unit, text) for text, (unit, _) in zip(held.texts, held.owners, strict=True)]

    add("甲处", TEXTS[:2], dt.date(2026, 11, 1))
    assert index() == [("甲处", TEXTS[0]), ("甲处", TEXTS[1])]
    add("乙处", TEXTS[2:4], dt.date(2026, 11, 1))
    assert index() == [("甲处", TEXTS[0]), ("甲处", TEXTS[1]), ("乙处", TEXTS[2]), ("乙处", TEXTS[3])]
    add("甲处", TEXTS[4:], dt.date(2026, 11, 5))  # supersedes 甲处's first form: its texts leave the index
    assert index() == [("乙处", TEXTS[2]), ("乙处", TEXTS[3]), ("甲处", TEXTS[4]), ("甲处", TEXTS[5])]
    assert stored.copies.exact == CopyIndex([("乙处", risk_rows(TEXTS[2:4])), ("甲处", risk_rows(TEXTS[4:]))]).exact
    assert texts_of(risk_rows(TEXTS[:1])) == [(TEXTS[0], 1)]


def test_the_texts_an_ingest_keeps_of_its_own_forms_are_those_stored(workspace, store, make_form):
    """An ingest run remembers the texts of each form it stores instead of reading them back: they must be what the
    archive holds (a copy in the same run is still found), a form with ditto marks and blank rows included."""
    from lzdocs.ingest import Ingest
    from lzdocs.store import history

    rows = [{"seq": "1", "post": "出纳", "duties": "现金收付", "risk": "  利用职务便利\n挪用公款 ",
             "category": "岗位职责", "level": "一级", "measures": "钱账分管", "owner": "王丽"},
            {"seq": "", "post": "", "duties": "", "risk": "", "category": "", "level": "", "measures": "", "owner": ""},
            {"seq": "2", "post": "同上", "duties": "报销审核", "risk": "虚报工程量骗取工程款项", "category": "制度机制",
             "level": "二级", "measures": "报销双签", "owner": "赵强"}]
    make_form(workspace.inbox / "a.docx", unit="计划财务处", rows=rows)
    copied = dict(rows[2], post="会计", risk="虚报工程量骗取工程款")
    make_form(workspace.inbox / "b.xlsx", unit="后勤管理处", rows=[copied], date=dt.date(2026, 11, 11))
    ingest = Ingest(workspace, store, today=dt.date(2026, 11, 28))
    outcomes = ingest.run_inbox()
    assert [o.status for o in outcomes] == ["accepted", "accepted"], [o.problems for o in outcomes]
    assert any("几乎相同" in p.message for p in outcomes[1].problems)
    remembered = ingest._quality[1].by_id
    with store.read() as conn:
        ids = [f.id for f in history.current_forms(conn, 2026)]
        assert sorted(remembered) == sorted(ids)
        for sid, stored_rows in history.rows_of(conn, ids).items():
            assert remembered[sid] == texts_of(stored_rows)
