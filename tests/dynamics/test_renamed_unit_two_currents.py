"""An archive written before a renamed unit's forms superseded each other across its names (837ece8) may hold two
current forms of the unit for a year: one under its old name, one under its new. The next form the unit sends
settles them: one current form of the unit and year after it — also when that form, dated earlier than the newest of
them, goes to history itself."""

import datetime as dt

from sqlalchemy import select, update

from lzdocs.store.schema import submissions
from tests.conftest import SAMPLE_ROWS
from tests.dynamics.test_renamed_unit import ROWS_2027, rename, take


def _currents(office) -> list[tuple[int, str]]:
    with office.store.read() as conn:
        return conn.execute(select(submissions.c.id, submissions.c.unit).where(
            submissions.c.status == "accepted", submissions.c.superseded_by.is_(None))
            .order_by(submissions.c.id)).all()


def _as_an_older_archive_left_it(office, submission: int) -> None:
    with office.store.begin() as conn:
        conn.execute(update(submissions).where(submissions.c.id == submission).values(superseded_by=None))


def test_a_form_dated_between_two_currents_under_the_old_and_new_name_leaves_one(workspace, make_form):
    root = workspace.root
    take(root, make_form, "旧名.docx", "计划财务处", SAMPLE_ROWS, dt.date(2026, 11, 20))
    rename(root)
    office = take(root, make_form, "新名.docx", "财务处", ROWS_2027, dt.date(2026, 11, 10))
    _as_an_older_archive_left_it(office, 2)
    assert _currents(office) == [(1, "计划财务处"), (2, "财务处")]
    office = take(root, make_form, "更正.docx", "财务处", ROWS_2027[:2], dt.date(2026, 11, 15))
    assert _currents(office) == [(1, "计划财务处")]  # the newest by 填表日期, as the registers show it
    assert {r["unit"] for r in office.risks(year=2026)} == {"计划财务处"}
