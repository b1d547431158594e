"""The README's "作为 Python 库使用" example runs as written, inside a workspace, and does what it says."""

import contextlib
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from lzdocs import Office
from lzdocs.errors import ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## 作为 Python 库使用", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_library_example_runs_inside_a_workspace(workspace, make_form, monkeypatch):
    make_form(workspace.inbox / "计财处.docx")
    with Office(workspace.root, today=__import__("datetime").date(2026, 11, 20)) as office:
        assert [o.status for o in office.ingest().outcomes] == ["accepted"]
    monkeypatch.chdir(workspace.root)
    monkeypatch.delenv("LZDOCS_WORKSPACE", raising=False)  # it would win over the current folder: never the user's
    monkeypatch.setenv("LZDOCS_TODAY", "2026-11-20")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "2026 计划财务处 1级 利用职务便利挪用公款"
    assert lines[-1] == "已发文 内工大纪建〔2026〕1号 内工大纪建〔2026〕1号-计划财务处.docx"
    assert (workspace.year_dir(2026) / "纪检监察建议书" / "内工大纪建〔2026〕1号-计划财务处.docx").is_file()
    assert (workspace.year_dir(2026) / "登记簿" / "发文登记簿.xlsx").is_file()


def test_the_readme_library_example_runs_in_a_workspace_with_another_roster_and_nothing_received(workspace,
                                                                                                 monkeypatch):
    (workspace.root / "units.csv").write_text("单位,别名\n财务处,\n", encoding="utf-8")
    monkeypatch.chdir(workspace.root)
    monkeypatch.delenv("LZDOCS_WORKSPACE", raising=False)
    monkeypatch.setenv("LZDOCS_TODAY", "2026-11-20")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {})
    assert out.getvalue().splitlines() == ["已发文 内工大纪建〔2026〕1号 内工大纪建〔2026〕1号-财务处.docx"]


def test_an_office_pins_its_day_and_owns_its_store(workspace):
    import datetime as dt

    office = Office(workspace.root, today=dt.date(2030, 5, 6))
    assert office.today == dt.date(2030, 5, 6)
    assert office.status().year == 2030  # nothing on file: the calendar year of "today"
    office.close()
    assert office._store is None


@pytest.mark.parametrize("today", ["2026-12-01", 20261201, dt.date(1999, 1, 1)])
def test_a_today_that_is_not_a_day_of_the_programme_is_a_clear_chinese_error(workspace, today):
    with pytest.raises(ConfigError) as caught:
        Office(workspace.root, today=today)
    assert caught.value.hint.startswith(("例如 Office(today=datetime.date(2026, 12, 1))", "请检查传入的 today"))
    assert "LZDOCS_TODAY" not in str(caught.value) + caught.value.hint


def test_a_datetime_counts_for_its_day(workspace):
    with Office(workspace.root, today=dt.datetime(2026, 12, 1, 10, 30)) as office:
        assert office.today == dt.date(2026, 12, 1)
        assert office.status().year == 2026
