"""The README's "作为 Python 库使用" example runs as written, inside a workspace, and does what it says."""

import contextlib
import io
import re
from pathlib import Path

from lzdocs import Office

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
    monkeypatch.setenv("LZDOCS_TODAY", "2026-11-20")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "2026 计划财务处 1级 利用职务便利挪用公款"
    assert lines[-1] == "已发文 内工大纪建〔2026〕1号 内工大纪建〔2026〕1号-计划财务处.docx"
    assert (workspace.year_dir(2026) / "纪检监察建议书" / "内工大纪建〔2026〕1号-计划财务处.docx").is_file()
    assert (workspace.year_dir(2026) / "登记簿" / "发文登记簿.xlsx").is_file()


def test_an_office_pins_its_day_and_owns_its_store(workspace):
    import datetime as dt

    office = Office(workspace.root, today=dt.date(2030, 5, 6))
    assert office.today == dt.date(2030, 5, 6)
    assert office.status().year == 2030  # nothing on file: the calendar year of "today"
    office.close()
    assert office._store is None
