"""Which 总结 the 归档 package takes: the newest lzdocs wrote while its numbers hold, or the one the clerk names."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from lzdocs import Office
from lzdocs.errors import ConfigError
from lzdocs.integrity.items import choose_summary
from lzdocs.store import files
from tests.conftest import SAMPLE_ROWS, TODAY, needs_soffice, run_cli, run_json

LATER = TODAY + dt.timedelta(days=3)


@pytest.fixture
def year(summarised_year):
    """A year with one unit's form and the 总结 lzdocs wrote for it (tests/conftest.py)."""
    return summarised_year


def chosen(workspace, name=None, today=LATER):
    with Office(workspace, today=today) as office, office.store.read() as conn:
        return choose_summary(conn, workspace, 2026, workspace.year_dir(2026) / "总结" / name if name else None)


def test_the_summary_lzdocs_wrote_is_taken_while_its_numbers_hold_even_edited(year):
    workspace, summary = year
    assert chosen(workspace) == (summary, "")
    with summary.open("ab") as fh:  # the clerk finishes it in WPS: still the one lzdocs wrote, its numbers the same
        fh.write(b"\0")
    assert chosen(workspace) == (summary, "")


def test_a_summary_whose_numbers_changed_since_is_refused_and_a_new_one_is_taken(year, make_form):
    workspace, summary = year
    make_form(workspace.inbox / "基建处.docx", unit="基建处", rows=SAMPLE_ROWS)
    with Office(workspace, today=LATER) as office:
        office.ingest()  # a late form after the 总结 was written
    with pytest.raises(ConfigError) as refused:
        chosen(workspace)
    assert f"总结 {summary.name} 写成以后" in str(refused.value)
    assert "总结写的是 1 个单位报送、3 个风险点，档案库现在是 2 个单位、6 个风险点" in str(refused.value)
    assert "lzdocs summary --year 2026 重新生成" in refused.value.hint and "--summary" in refused.value.hint
    path, note = chosen(workspace, summary.name)  # named by the clerk: taken, with a 提醒
    assert path == summary and "中的数字已过时" in note
    with Office(workspace, today=LATER) as office:
        again = office.summary(2026).file
    assert again.name.endswith("_01.docx") and chosen(workspace) == (again, "")


def test_a_summary_lzdocs_did_not_write_makes_the_choice_the_clerk_s(year):
    workspace, summary = year
    final = summary.with_name("2026年度廉政风险防控工作总结（定稿）.docx")
    shutil.copy(summary, final)  # the clerk's 定稿, which sorts after the one lzdocs wrote
    with pytest.raises(ConfigError) as refused:
        chosen(workspace)
    assert "不是 lzdocs summary 生成的总结：2026年度廉政风险防控工作总结（定稿）.docx" in str(refused.value)
    assert chosen(workspace, final.name) == (final, "")
    assert chosen(workspace, summary.name) == (summary, "")


@pytest.mark.parametrize("name", ["../../../lzdocs.toml", "不存在.docx"])
def test_summary_must_be_a_docx_in_the_year_s_folder(year, name):
    workspace, _ = year
    with pytest.raises(ConfigError) as refused:
        chosen(workspace, name)
    assert "不是 outbox/2026/总结 中的 .docx 文件" in str(refused.value)


@needs_soffice
def test_archive_packs_the_summary_the_clerk_names_and_records_it(year, tmp_path):
    workspace, summary = year
    final = summary.with_name("2026年度廉政风险防控工作总结（定稿）.docx")
    shutil.copy(summary, final)
    root = workspace.root
    config = root / "lzdocs.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('fonds = ""', 'fonds = "Z123"'), encoding="utf-8")
    refused = run_cli("-w", root, "archive", "--year", "2026", tmp_path / "归档", check=2)
    assert "不知道归档哪一份" in refused.stderr and not (tmp_path / "归档").exists()
    run_cli("-w", root, "archive", "--year", "2026", "--summary", final.name, tmp_path / "归档", check=0)
    packed = [p for p in (tmp_path / "归档").rglob("*.docx") if p.read_bytes() == final.read_bytes()]
    assert len(packed) == 1
    with Office(workspace, today=LATER) as office, office.store.read() as conn:
        assert files.recorded(conn, workspace.relative(final))["role"] == "summary"
    assert run_json("-w", root, "verify", check=None)["findings"] == []
