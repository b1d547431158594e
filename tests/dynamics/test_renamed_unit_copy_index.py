"""The quality review's index of the year's current forms, kept over an ingest run (``quality.StoredTexts``), reads
only the forms stored since — unless one of them superseded a form it holds. A unit renamed in units.csv
(计划财务处 → 财务处) has its form under the new name supersede its form under the old name: the index must drop
that form then, as it does a unit's form corrected under the same name. Else a form taken later in the same run is
told it copied the texts of a form no longer current — which a run of its own would never say."""

import datetime as dt

from lzdocs import Office
from tests.conftest import SAMPLE_ROWS
from tests.dynamics.test_renamed_unit import rename, take

DAY = dt.date(2026, 11, 20)
OTHER_ROWS = [{**row, "risk": f"{row['risk']}（{n}）", "post": f"岗位{n}"} for n, row in enumerate([
    {**SAMPLE_ROWS[0], "risk": "擅自出借单位银行账户给外单位使用"},
    {**SAMPLE_ROWS[1], "risk": "虚列支出套取科研经费用于个人消费"},
    {**SAMPLE_ROWS[2], "risk": "违规为关联企业办理资金拨付手续"}], start=1)]


def _copied(outcome) -> list[str]:
    return [p.message for p in outcome.problems if "照抄" in p.message]


def test_a_form_under_the_new_name_drops_the_old_names_form_from_the_runs_copy_index(workspace, make_form):
    root = workspace.root
    take(root, make_form, "旧名.docx", "计划财务处", SAMPLE_ROWS, dt.date(2026, 11, 10))
    rename(root)
    forms = root.parent / "forms"
    corrected = make_form(forms / "1-财务处.docx", unit="财务处", rows=OTHER_ROWS, date=DAY)
    copied = make_form(forms / "2-基建处.docx", unit="基建处", rows=SAMPLE_ROWS, date=DAY)
    office = Office(root, today=DAY)
    outcomes = office.ingest([corrected, copied], received=DAY).outcomes
    assert [(o.unit, o.status, bool(o.supersedes)) for o in outcomes] == [
        ("财务处", "accepted", True), ("基建处", "accepted", False)]
    assert _copied(outcomes[1]) == []  # its texts are only those of a form superseded before it came
