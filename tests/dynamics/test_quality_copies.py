"""The copy check of the quality review: the row it names is the one rapidfuzz's extractOne picks among the other
units' texts, and the index kept over an ingest run is the year's current forms after each form stored or
superseded."""

import datetime as dt
import random

import pytest
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
        return [(unit, text) for text, (unit, _), _ in held.entries()]

    add("甲处", TEXTS[:2], dt.date(2026, 11, 1))
    assert index() == [("甲处", TEXTS[0]), ("甲处", TEXTS[1])]
    add("乙处", TEXTS[2:4], dt.date(2026, 11, 1))
    assert index() == [("甲处", TEXTS[0]), ("甲处", TEXTS[1]), ("乙处", TEXTS[2]), ("乙处", TEXTS[3])]
    add("甲处", TEXTS[4:], dt.date(2026, 11, 5))  # supersedes 甲处's first form: its texts leave the index
    assert index() == [("乙处", TEXTS[2]), ("乙处", TEXTS[3]), ("甲处", TEXTS[4]), ("甲处", TEXTS[5])]
    fresh = CopyIndex([("乙处", risk_rows(TEXTS[2:4])), ("甲处", risk_rows(TEXTS[4:]))])
    assert [(text, owner) for text, owner, _ in stored.copies.entries()] == [(t, o) for t, o, _ in fresh.entries()]
    held = stored.copies
    assert {t: [held.texts[i] for i in at] for t, at in held.exact.items()} == {t: [t] * len(at) for t, at in
                                                                                  fresh.exact.items()}
    assert {u: [held.texts[i] for i in at] for u, at in held.by_unit.items()} == {
        u: [fresh.texts[i] for i in at] for u, at in fresh.by_unit.items()}
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


# --- who had a text first: a unit that sends its form again is not the copier --------------------------------
ORIGINAL = ["利用职务便利挪用公款用于个人消费", "违规审批大额资金支出不经集体决策", "插手工程招投标谋取私利"]


def form_rows(texts):
    return [{"seq": str(i), "post": "科员", "duties": "日常工作", "risk": t, "category": "岗位职责",
             "level": "二级", "measures": "每月由处长复核台账并签字", "owner": "王丽"} for i, t in enumerate(texts, 1)]


def take(workspace, store, make_form, name, unit, texts, day):
    """One form of ``unit`` dropped into the inbox and taken in on ``day``: its hints (提示) as the unit reads them."""
    from lzdocs.ingest import Ingest

    path = make_form(workspace.inbox / name, unit=unit, rows=form_rows(texts), date=day)
    data = path.read_bytes()
    [outcome] = Ingest(workspace, store, today=day).run_inbox()
    assert outcome.status == "accepted", outcome.problems
    assert not path.exists() and (workspace.root / outcome.stored_as).read_bytes() == data  # kept once, as sent
    return [p.message for p in outcome.problems if "几乎相同" in p.message]


def copied(office):
    return [(f.unit, f.row, f.from_unit) for f in office.quality(2026) if f.code == "copied"]


def test_a_unit_sending_its_form_again_is_not_taken_for_the_copier_of_those_who_copied_it(workspace, store,
                                                                                          make_form):
    """计划财务处 writes three points; 后勤管理处 copies one word for word and edits another a little; 计划财务处 then
    sends its form again with a fourth point. The copies are 后勤管理处's, on its form and in the 质量 view alike."""
    from lzdocs import Office

    assert take(workspace, store, make_form, "财务1.docx", "计划财务处", ORIGINAL, dt.date(2026, 11, 2)) == []
    hints = take(workspace, store, make_form, "后勤.xlsx", "后勤管理处",
                 [ORIGINAL[0], "违规审批大额资金支出而不经集体决策", "车辆维修虚报费用"], dt.date(2026, 11, 5))
    assert [h.split("，请")[0] for h in hints] == ["风险点描述与计划财务处的表第2行几乎相同（相似度 100）",
                                                  "风险点描述与计划财务处的表第3行几乎相同（相似度 97）"]
    again = take(workspace, store, make_form, "财务2.docx", "计划财务处", [*ORIGINAL, "公务接待超标准"],
                 dt.date(2026, 11, 9))
    assert again == []  # its own texts, which it had before 后勤管理处 copied them
    office = Office(workspace.root, today=dt.date(2026, 11, 20))
    assert copied(office) == [("后勤管理处", 4, "计划财务处"), ("后勤管理处", 5, "计划财务处")]  # 表第几行


def test_a_unit_copying_in_its_second_form_is_still_the_copier(workspace, store, make_form):
    """The other way round: 计划财务处's second form takes a text 后勤管理处 had before it — the flag is on
    计划财务处."""
    from lzdocs import Office

    take(workspace, store, make_form, "财务1.docx", "计划财务处", ORIGINAL[1:], dt.date(2026, 11, 2))
    take(workspace, store, make_form, "后勤.xlsx", "后勤管理处", [ORIGINAL[0], "车辆维修虚报费用"],
         dt.date(2026, 11, 5))
    again = take(workspace, store, make_form, "财务2.docx", "计划财务处", [*ORIGINAL[1:], ORIGINAL[0]],
                 dt.date(2026, 11, 9))
    assert [h.split("，请")[0] for h in again] == ["风险点描述与后勤管理处的表第4行几乎相同（相似度 100）"]
    office = Office(workspace.root, today=dt.date(2026, 11, 20))
    assert copied(office) == [("计划财务处", 4, "后勤管理处")]


def test_who_had_a_text_first_counts_by_the_forms_not_by_when_the_current_ones_came(workspace, store):
    """The index kept over a run holds each text since its unit first had it, also after a unit's form is
    superseded (the index is then made anew) and when it is asked only once both forms are stored."""
    stored = StoredTexts()
    received = dt.datetime(2026, 11, 1, 9)

    def add(unit, texts, filled):
        with store.begin() as conn:
            return subs.add_submission(conn, rows=risk_rows(texts), sha256=f"{unit}{filled}", status="accepted",
                                       kind="risk", unit=unit, year=2026, filled_date=filled,
                                       received_at=received + (filled - dt.date(2026, 11, 1)),
                                       original_name=f"{unit}.docx", source=f"{unit}.docx", arrived_on=filled)[0]

    def since():
        with store.read() as conn:
            held = stored.index(conn, 2026)
        return {(unit, text): s for text, (unit, _), s in held.entries()}

    first = add("甲处", TEXTS[:2], dt.date(2026, 11, 1))
    assert since() == {("甲处", TEXTS[0]): first, ("甲处", TEXTS[1]): first}
    other = add("乙处", TEXTS[:1], dt.date(2026, 11, 2))
    second = add("甲处", [TEXTS[0], TEXTS[5]], dt.date(2026, 11, 3))
    assert since() == {("乙处", TEXTS[0]): other, ("甲处", TEXTS[0]): first, ("甲处", TEXTS[5]): second}
    fresh = StoredTexts()  # a run that starts now: the same
    with store.read() as conn:
        held = fresh.index(conn, 2026)
    assert sorted((owner, since) for _, owner, since in held.entries()) == sorted([
        (("乙处", 1), other), (("甲处", 1), first), (("甲处", 2), second)])


def test_a_text_the_unit_reworded_when_it_sent_its_form_again_is_still_its_own(workspace, store, make_form):
    """计划财务处 adds a word to its first point when it sends its form again: the point is still its own from its
    first form on, and the copy 后勤管理处 made of the first wording is 后勤管理处's."""
    from lzdocs import Office

    take(workspace, store, make_form, "财务1.docx", "计划财务处", ORIGINAL, dt.date(2026, 11, 2))
    take(workspace, store, make_form, "后勤.xlsx", "后勤管理处", [ORIGINAL[0]], dt.date(2026, 11, 5))
    reworded = "利用职务便利挪用公款用于个人的消费"
    again = take(workspace, store, make_form, "财务2.docx", "计划财务处", [reworded, *ORIGINAL[1:]],
                 dt.date(2026, 11, 9))
    assert again == []
    office = Office(workspace.root, today=dt.date(2026, 11, 20))
    assert copied(office) == [("后勤管理处", 4, "计划财务处")]
    assert [f.message.split("，请")[0] for f in office.quality(2026) if f.code == "copied"] == [
        "风险点描述与计划财务处的表第2行几乎相同（相似度 97）"]


def test_the_rows_named_and_their_scores_are_those_of_the_texts_as_written(workspace):
    """The pairs are compared with each character given a short code of its own (``_Alphabet``, for speed): over
    texts of some six hundred different characters, near copies among them, every flag names the row and score that
    rapidfuzz gives the texts as written."""
    import random

    rules = Rules.load(workspace)
    rng = random.Random(7)
    chars = [chr(0x4E00 + rng.randrange(20_000)) for _ in range(600)] + list("0123456789ABCabc")
    units = {f"单位{u}": [] for u in range(40)}
    for texts in units.values():
        for _ in range(6):
            if rng.random() < 0.4 and any(units.values()):  # a near copy of a text already written
                base = list(rng.choice([t for ts in units.values() for t in ts] or ["".join(rng.choices(chars, k=20))]))
                base[rng.randrange(len(base))] = rng.choice(chars)
                texts.append("".join(base))
            else:
                texts.append("".join(rng.choices(chars, k=rng.randrange(8, 30))))
    index, found = CopyIndex(), 0
    for unit, texts in units.items():
        others = [(t, owner, row) for t, (owner, row) in zip(index.texts, index.owners, strict=True) if owner != unit]
        flags = index.copied_flags(unit, risk_rows(texts), rules)
        expected = []
        for i, (text, _) in enumerate(texts_of(risk_rows(texts)), 1):  # as compared: folded, lower case
            best = process.extractOne(text, [t for t, _, _ in others], scorer=fuzz.ratio,
                                      score_cutoff=rules.copy_threshold)
            if best and len(text) >= 6:
                _, owner, row = others[best[2]]
                expected.append((i, owner, f"风险点描述与{owner}的表第{row}行几乎相同（相似度 {best[1]:.0f}）"))
        assert [(f.row, f.from_unit, f.message.split("，请")[0]) for f in flags] == expected
        found += len(flags)
        index.add(unit, risk_rows(texts))
    assert len(index.alphabet.codes) > 256 and found > 20  # codes beyond one byte, and copies found
    spell, texts = index.alphabet.spell, index.texts
    assert len(set(index.alphabet.codes.values())) == len(index.alphabet.codes)  # a code names one character
    assert all(fuzz.ratio(spell(a), spell(b)) == fuzz.ratio(a, b) for a in texts[:60] for b in texts)


def test_the_texts_are_spelled_only_once_they_are_compared_alike(workspace):
    """Spelling every text as it is added cost a 汇总 of 20,000 rows, which compares none alike (``FUZZY_PAIRS``),
    a tenth of a second: the texts held are spelled when a comparison first needs them, and then only those new."""
    rules = Rules.load(workspace)
    index = CopyIndex([("甲处", risk_rows(TEXTS[:3]))])
    query = risk_rows(["虚报工程量骗取工程款啊"])
    assert index.copied_flags("乙处", query, rules, fuzzy=False) == [] and index.spelled == []
    assert [f.from_unit for f in index.copied_flags("乙处", query, rules)] == ["甲处"]
    assert index.spelled == [index.alphabet.spell(t) for t in index.texts] and len(index.spelled) == 3
    index.add("丙处", risk_rows(TEXTS[3:]))
    assert len(index.spelled) == 3
    assert [f.from_unit for f in index.copied_flags("丁处", risk_rows(["违规审批大额资金的支出"]), rules)] == ["丙处"]
    assert index.spelled == [index.alphabet.spell(t) for t in index.texts] and len(index.spelled) == 6


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_kept_over_a_run_finds_what_an_index_made_anew_finds(workspace, store, seed):
    """Forms of five units in a random order: new ones, corrected ones that supersede the unit's form (the index
    drops its texts and holds the new ones, as one made anew holds them), and late ones older than the unit's
    current form (they go into history at once, and the index is made anew). After each form stored, the index
    kept over the run holds what a new run's index holds — the same texts, rows and ``since``, in the same order —
    and finds the same copies in a form being taken."""
    rng = random.Random(seed)
    rules = Rules.load(workspace)
    pool = [*TEXTS, "插手工程招投标谋取私利啊", "违规审批大额的资金支出", "利用职务之便挪用公款",
            "全新的一段风险点描述文字"]
    units = ["甲处", "乙处", "丙处", "丁处", "戊处"]
    stored, day, latest = StoredTexts(), dt.datetime(2026, 11, 1, 9), {}
    for n in range(30):
        unit = rng.choice(units)
        late = unit in latest and rng.random() < 0.15
        received = latest[unit] - dt.timedelta(hours=1) if late else day + dt.timedelta(hours=n)
        if not late:
            latest[unit] = received
        with store.begin() as conn:
            subs.add_submission(conn, rows=risk_rows(rng.sample(pool, rng.randint(1, 4))), sha256=f"{seed}-{n}",
                                status="accepted", kind="risk", unit=unit, year=2026, filled_date=received.date(),
                                received_at=received, original_name=f"{n}.docx", source=f"{n}.docx",
                                arrived_on=received.date())
        probe_unit, probe = rng.choice(units), risk_rows(rng.sample(pool, 4))
        with store.read() as conn:
            kept, anew = stored.index(conn, 2026), StoredTexts().index(conn, 2026)
        assert kept.entries() == anew.entries() and kept.held == anew.held
        found = [[(f.row, f.from_unit, f.message) for f in index.copied_flags(probe_unit, probe, rules)]
                 for index in (kept, anew)]
        assert found[0] == found[1]


def test_a_form_that_supersedes_two_current_forms_drops_both_from_the_index_kept_over_a_run(workspace, store):
    """An archive from before a unit's forms under its old and new names superseded each other holds two current
    forms of the unit; its next form supersedes both (``supersedes`` names only one of them). The index kept over
    the run must drop both, as one made anew does: else a later form is told it copied a form no longer current."""
    rules = Rules.load(workspace)
    day = dt.datetime(2026, 11, 1, 9)

    def add(n, unit, text, names=()):
        received = day + dt.timedelta(days=n)
        with store.begin() as conn:
            return subs.add_submission(conn, rows=risk_rows([text]), sha256=f"two-{n}", status="accepted",
                                       kind="risk", unit=unit, year=2026, filled_date=received.date(),
                                       received_at=received, original_name=f"{n}.docx", source=f"{n}.docx",
                                       arrived_on=received.date(), names=names)[0]

    old = add(1, "旧名处", "擅自出借单位银行账户给外单位使用")
    add(2, "新名处", "虚列支出套取科研经费用于个人消费")  # no names: both stay current
    stored = StoredTexts()
    with store.read() as conn:
        assert len(stored.index(conn, 2026).entries()) == 2
    add(3, "新名处", "违规为关联企业办理资金拨付手续", names=("旧名处",))
    with store.read() as conn:
        assert subs.get(conn, old)["superseded_by"] is not None
        kept, anew = stored.index(conn, 2026), StoredTexts().index(conn, 2026)
    assert kept.entries() == anew.entries() == [("违规为关联企业办理资金拨付手续", ("新名处", 1), 3)]
    probe = risk_rows(["擅自出借单位银行账户给外单位使用"])
    assert kept.copied_flags("丙处", probe, rules) == anew.copied_flags("丙处", probe, rules) == []


def test_a_form_under_a_name_whose_earlier_form_was_superseded_under_another_name_counts_from_that_form(
        workspace, store):
    """旧名处's form was superseded by 新名处's (its alias then); the alias gone from units.csv, 旧名处 sends a form
    of its own that supersedes nothing. A text of it that 旧名处's first form had is held since that form, in the
    index kept over a run as in one made anew."""
    day = dt.datetime(2026, 11, 1, 9)

    def add(n, unit, texts, names=()):
        received = day + dt.timedelta(days=n)
        with store.begin() as conn:
            return subs.add_submission(conn, rows=risk_rows(texts), sha256=f"alias-{n}", status="accepted",
                                       kind="risk", unit=unit, year=2026, filled_date=received.date(),
                                       received_at=received, original_name=f"{n}.docx", source=f"{n}.docx",
                                       arrived_on=received.date(), names=names)[0]

    first = add(1, "旧名处", [TEXTS[0]])
    add(2, "新名处", [TEXTS[2]], names=("旧名处",))
    stored = StoredTexts()
    with store.read() as conn:
        stored.index(conn, 2026)
    later = add(3, "旧名处", [TEXTS[1], TEXTS[4]])
    with store.read() as conn:
        kept, anew = stored.index(conn, 2026), StoredTexts().index(conn, 2026)
    assert kept.entries() == anew.entries() == [(TEXTS[2], ("新名处", 1), 2), (TEXTS[1], ("旧名处", 1), first),
                                                (TEXTS[4], ("旧名处", 2), later)]


class _CountingForms(dict):
    """The forms a ``StoredTexts`` holds, counting each one looked at by going through them."""

    def __init__(self, *args):
        super().__init__(*args)
        self.looked = 0

    def _count(self, items):
        for item in items:
            self.looked += 1
            yield item

    def __iter__(self):
        return self._count(super().__iter__())

    def keys(self):
        return _Walked(self, dict.keys(self))

    def values(self):
        return _Walked(self, dict.values(self))

    def items(self):
        return _Walked(self, dict.items(self))


class _Walked:
    def __init__(self, forms, view):
        self.forms, self.view = forms, view

    def __iter__(self):
        return self.forms._count(iter(self.view))

    def __reversed__(self):
        return self.forms._count(reversed(self.view))

    def __len__(self):
        return len(self.view)


def test_following_a_run_looks_at_the_forms_it_adds_and_drops_not_at_every_form_held(workspace, store):
    """A run of a thousand forms was a thousand passes over the forms held (a million steps): each form taken is
    followed by looking at the forms it adds and drops, and at the last one held."""
    stored, day = StoredTexts(), dt.datetime(2026, 11, 1, 9)
    for n in range(80):
        unit = f"第{n % 60}处"  # the last twenty correct a form taken before: it is superseded and dropped
        with store.begin() as conn:
            subs.add_submission(conn, rows=risk_rows([f"{unit}的第{n}个风险点描述文字"]), sha256=f"walk-{n}",
                                status="accepted", kind="risk", unit=unit, year=2026, filled_date=day.date(),
                                received_at=day + dt.timedelta(minutes=n), original_name=f"{n}.docx",
                                source=f"{n}.docx", arrived_on=day.date())
        with store.read() as conn:
            stored.index(conn, 2026)
        if n == 0:
            stored.forms = _CountingForms(stored.forms)
    assert isinstance(stored.forms, _CountingForms), "the index was made anew: nothing was followed"
    assert len(stored.forms) == 60 and stored.copies.held == 60
    assert stored.forms.looked <= 3 * 79, stored.forms.looked
