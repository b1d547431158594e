"""Input a clerk can get wrong by a slip: a date centuries off in a letter, a picture given as a notice body."""

import datetime as dt

import pytest

from lzdocs import Office
from lzdocs.errors import FieldError

DAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize("typed", ["0001-01-01", "2019-12-31", "2032-01-01"])
def test_a_date_in_a_letter_far_from_its_own_date_is_refused(workspace, typed):
    with Office(workspace, today=DAY) as office, pytest.raises(FieldError) as caught:
        office.letter("suggestion", "计财处", {"事由": "检查中", "问题": "甲", "建议": "乙", "回复期限": typed})
    assert "“回复期限”的日期" in str(caught.value) and "应在 2021—2031 年之间" in str(caught.value)
    assert not list(workspace.outbox.rglob("*.docx"))  # no number taken, no file


def test_a_date_within_five_years_is_taken(workspace):
    with Office(workspace, today=DAY) as office:
        issued = office.letter("suggestion", "计财处", {"事由": "检查中", "问题": "甲", "建议": "乙",
                                                      "回复期限": "2031-12-31"})
    assert issued.reply_due == dt.date(2031, 12, 31)


def test_a_batch_row_dated_far_away_fails_alone(workspace, tmp_path):
    batch = tmp_path / "批量.csv"
    batch.write_text("单位,事由,问题,建议,成文日期\n计财处,检查中,甲,乙,1026-12-01\n基建处,检查中,甲,乙,2026-12-01\n",
                     encoding="utf-8")
    with Office(workspace, today=DAY) as office:
        result = office.letter_batch("suggestion", batch)
    assert [r.error is None for r in result.rows] == [False, True]
    assert "1026年12月1日不合理" in result.rows[0].error


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
                                  b"\x00" * 4096, bytes(range(1, 32)) * 64], ids=["png", "nuls", "controls"])
def test_a_binary_notice_body_is_called_what_it_is(workspace, tmp_path, data):
    body = tmp_path / "正文.txt"
    body.write_bytes(data)
    with Office(workspace, today=DAY) as office, pytest.raises(FieldError) as caught:
        office.notice("关于某事的通知", body)
    assert "不是文本文件" in str(caught.value) and "是空的" not in str(caught.value)


def test_an_empty_notice_body_is_still_called_empty(workspace, tmp_path):
    body = tmp_path / "正文.txt"
    body.write_text("\n\n", encoding="utf-8")
    with Office(workspace, today=DAY) as office, pytest.raises(FieldError) as caught:
        office.notice("关于某事的通知", body)
    assert "是空的" in str(caught.value)
