"""A unit renamed in units.csv (计划财务处 → 财务处, the old name kept in 别名): its history follows it. Its 2026
form, recorded as 计划财务处, is the one its 2027 form is compared with; its card holds both years; last year's
quality rule (与上年相同) finds last year's form. Nothing recorded is rewritten."""

import datetime as dt

from tests.conftest import SAMPLE_ROWS, run_json

RENAMED = "财务处,计划财务处、计财处,,"  # the sample roster's line was 计划财务处,计财处、财务处,,


def rename(root):
    path = root / "units.csv"
    text = path.read_text(encoding="utf-8-sig")
    assert "计划财务处,计财处、财务处,," in text
    path.write_text(text.replace("计划财务处,计财处、财务处,,", RENAMED), encoding="utf-8-sig")


def take(root, make_form, name, unit, rows, date):
    from lzdocs import Office

    office = Office(root, today=date + dt.timedelta(days=5))
    report = office.ingest([make_form(root.parent / "forms" / name, unit=unit, rows=rows, date=date)],
                           received=date)
    assert [o.status for o in report.outcomes] == ["accepted"], [o.__dict__ for o in report.outcomes]
    return office


ROWS_2027 = [{**SAMPLE_ROWS[0]}, {**SAMPLE_ROWS[1], "level": "一级"}, {**SAMPLE_ROWS[2]},
             {**SAMPLE_ROWS[2], "seq": "4", "post": "科员", "risk": "泄露财务数据", "measures": "数据分级授权"}]


def renamed_archive(workspace, make_form, rows_2027=ROWS_2027):
    root = workspace.root
    take(root, make_form, "2026.docx", "计划财务处", SAMPLE_ROWS, dt.date(2026, 11, 10))
    rename(root)
    take(root, make_form, "2027.docx", "财务处", rows_2027, dt.date(2027, 11, 10))
    from lzdocs import Office

    return Office(root, today=dt.date(2027, 11, 28))


def recorded_units(office):
    from sqlalchemy import select

    from lzdocs.store.schema import submissions

    with office.store.read() as conn:
        return conn.execute(select(submissions.c.year, submissions.c.unit).order_by(submissions.c.id)).all()


def test_the_roster_maps_a_recorded_old_name_to_the_unit_and_leaves_an_unknown_name_alone(workspace):
    rename(workspace.root)
    from lzdocs.workspace import Workspace

    roster = Workspace.open(workspace.root).roster()
    assert roster.current("计划财务处") == "财务处"
    assert roster.current("财务处") == "财务处"
    assert roster.current("外国语学院") == "外国语学院"  # off the roster: as recorded
    assert roster.recorded_names("财务处") == ("财务处", "计划财务处", "计财处")
    assert roster.recorded_names("外国语学院") == ("外国语学院",)


def test_changes_compare_a_renamed_units_form_with_its_form_under_the_old_name(workspace, make_form):
    office = renamed_archive(workspace, make_form)
    assert recorded_units(office) == [(2026, "计划财务处"), (2027, "财务处")]  # nothing rewritten
    [found] = office.changes(2027)
    assert found.as_dict() == {
        "unit": "财务处", "year": 2027, "previous_year": 2026, "previous_unit": "计划财务处",
        "same_as_previous": False, "new": ["泄露财务数据"], "removed": [],
        "level_changed": [{"risk": "审核不严，违规报销", "from": 2, "to": 1}], "measures_changed": []}
    assert found.compared_with == "2026年（原名计划财务处）"
    # asked for by either name, the unit is found with its history
    assert [c.previous_unit for c in office.changes(2027, unit="计划财务处")] == ["计划财务处"]
    assert [c.previous_unit for c in office.changes(2027, unit="财务处")] == ["计划财务处"]


def test_the_changes_command_shows_no_new_unit_and_no_unit_that_stopped(workspace, make_form):
    renamed_archive(workspace, make_form)
    found = run_json("-w", workspace.root, "changes", "--year", "2027")
    assert [(c["unit"], c["previous_year"], c["new"]) for c in found] == [("财务处", 2026, ["泄露财务数据"])]


def test_a_form_the_same_as_last_years_under_the_old_name_is_flagged(workspace, make_form):
    office = renamed_archive(workspace, make_form, rows_2027=SAMPLE_ROWS)
    assert [(c.unit, c.same_as_previous) for c in office.changes(2027)] == [("财务处", True)]
    same = [(f.unit, f.message) for f in office.quality(2027) if f.code == "same_as_previous"]
    assert same == [("财务处", "与2026年报送的表完全相同，请确认本年度岗位、职责和风险是否确无变化")]


def test_the_unit_card_holds_the_history_recorded_under_the_old_name(workspace, make_form):
    office = renamed_archive(workspace, make_form)
    for asked in ("财务处", "计划财务处"):
        card = office.unit_card(asked)
        assert card["unit"] == "财务处"
        assert card["former_names"] == ["计划财务处"]
        assert [(r["year"], r["unit"], r["risk"]) for r in card["risks"]] == [
            (2026, "计划财务处", "利用职务便利挪用公款"), (2026, "计划财务处", "审核不严，违规报销"),
            (2026, "计划财务处", "违规审批资金"),
            (2027, "财务处", "利用职务便利挪用公款"), (2027, "财务处", "审核不严，违规报销"),
            (2027, "财务处", "违规审批资金"), (2027, "财务处", "泄露财务数据")]


def test_the_unit_command_prints_the_name_each_year_was_sent_under(workspace, make_form):
    from tests.conftest import run_cli

    renamed_archive(workspace, make_form)
    out = run_cli("-w", workspace.root, "unit", "财务处", check=0).stdout
    lines = out.splitlines()
    assert lines[0] == "财务处（曾用名：计划财务处）"
    assert sum("2026年（报送时名称：计划财务处） 出纳：利用职务便利挪用公款" in line for line in lines) == 1
    assert sum("2027年 科员：泄露财务数据" in line for line in lines) == 1


def test_a_correction_sent_under_the_new_name_in_the_same_year_replaces_the_form_under_the_old_name(workspace,
                                                                                                    make_form):
    """计划财务处 sent its 2026 form, was renamed 财务处, and sent a corrected 2026 form: that one is the unit's
    2026 form — the old one goes to history, its points are not listed twice, and the correction is not taken for
    a copy of the unit's own earlier form."""
    root = workspace.root
    take(root, make_form, "旧名.docx", "计划财务处", SAMPLE_ROWS, dt.date(2026, 11, 10))
    rename(root)
    office = take(root, make_form, "新名.docx", "财务处", ROWS_2027, dt.date(2026, 11, 20))
    outcome = office.ingest([make_form(root.parent / "forms" / "重发.docx", unit="财务处", rows=ROWS_2027,
                                       date=dt.date(2026, 11, 21))], received=dt.date(2026, 11, 21)).outcomes[0]
    assert outcome.status == "accepted" and outcome.supersedes
    assert recorded_units(office) == [(2026, "计划财务处"), (2026, "财务处"), (2026, "财务处")]
    risks = office.risks(year=2026)
    assert [(r["unit"], r["risk"]) for r in risks] == [("财务处", r["risk"]) for r in ROWS_2027]
    with office.store.read() as conn:
        from lzdocs.store import submissions as subs

        current = [s for s in (subs.get(conn, i) for i in (1, 2, 3)) if s["superseded_by"] is None]
    assert [s["id"] for s in current] == [3]


def test_the_correction_under_the_new_name_is_not_flagged_as_a_copy_of_the_units_own_old_form(workspace, make_form):
    root = workspace.root
    take(root, make_form, "旧名.docx", "计划财务处", SAMPLE_ROWS, dt.date(2026, 11, 10))
    rename(root)
    from lzdocs import Office

    office = Office(root, today=dt.date(2026, 11, 25))
    outcome = office.ingest([make_form(root.parent / "forms" / "新名.docx", unit="财务处", rows=SAMPLE_ROWS,
                                       date=dt.date(2026, 11, 20))], received=dt.date(2026, 11, 20)).outcomes[0]
    assert outcome.status == "accepted" and outcome.supersedes
    assert not [p for p in outcome.problems if "照抄" in p.message], [p.message for p in outcome.problems]


def test_a_form_under_the_new_name_dated_before_the_one_under_the_old_name_goes_to_history(workspace, make_form):
    root = workspace.root
    take(root, make_form, "旧名.docx", "计划财务处", SAMPLE_ROWS, dt.date(2026, 11, 20))
    rename(root)
    office = take(root, make_form, "更早.docx", "财务处", ROWS_2027, dt.date(2026, 11, 10))
    assert [(r["unit"], r["risk"]) for r in office.risks(year=2026)] == [
        ("计划财务处", r["risk"]) for r in SAMPLE_ROWS]  # the old name's form, dated later, is still the current one
