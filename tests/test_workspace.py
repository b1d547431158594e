"""Workspace creation, settings and the roster as clerks write it (CSV with or without BOM, GBK, .xlsx)."""

import datetime as dt
import sys

import pytest
from openpyxl import Workbook

from lzdocs.errors import ConfigError, WorkspaceNotFound
from lzdocs.workspace import SAMPLE, Workspace


def test_init_creates_folders_and_is_idempotent_without_overwriting(tmp_path):
    ws, created = Workspace.init(tmp_path / "w")
    assert (ws.root / "inbox" / "退回").is_dir() and (ws.root / "outbox").is_dir() and (ws.root / "templates").is_dir()
    (ws.root / "units.csv").write_text("单位,别名\n自定义处,自定\n", encoding="utf-8")
    (ws.root / "lzdocs.toml").write_text('[organisation]\nschool = "某大学"\n', encoding="utf-8")
    _, again = Workspace.init(ws.root)
    assert again == []
    assert (ws.root / "units.csv").read_text(encoding="utf-8") == "单位,别名\n自定义处,自定\n"
    assert Workspace.open(ws.root).school == "某大学"


def test_opening_a_folder_that_is_not_a_workspace_says_what_to_do(tmp_path):
    with pytest.raises(WorkspaceNotFound) as exc:
        Workspace.open(tmp_path)
    assert "lzdocs init" in str(exc.value)


def test_a_folder_where_the_settings_or_the_roster_go_is_named_by_open_and_by_init(tmp_path):
    """Not "没有 lzdocs.toml, run lzdocs init" — which, never replacing anything, would say the same again."""
    (tmp_path / "lzdocs.toml").mkdir()
    with pytest.raises(WorkspaceNotFound) as exc:
        Workspace.open(tmp_path)
    assert str(exc.value).startswith(f"“{tmp_path / 'lzdocs.toml'}”是一个文件夹，这里应是工作区的设置文件")
    with pytest.raises(ConfigError) as exc:
        Workspace.init(tmp_path)
    assert str(exc.value) == (f"“{tmp_path / 'lzdocs.toml'}”是一个文件夹，这里应是工作区的设置文件；"
                              "请把这个文件夹改名或移走后重新运行 lzdocs init")
    (tmp_path / "lzdocs.toml").rmdir()
    (tmp_path / "units.csv").mkdir()
    with pytest.raises(ConfigError) as exc:
        Workspace.init(tmp_path)
    assert str(exc.value).startswith(f"“{tmp_path / 'units.csv'}”是一个文件夹，这里应是工作区的单位名单")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["units.csv"]  # nothing made before the refusal


def test_broken_toml_is_a_config_error_in_chinese(workspace):
    (workspace.root / "lzdocs.toml").write_text("[organisation\nschool=", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        Workspace.open(workspace.root)
    assert "格式有误" in str(exc.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_roster_csv_in_any_common_encoding_with_aliases(workspace, encoding):
    text = "单位,别名,负责人,分管领导\n计划财务处,计财处、财务处；财务,张三,李四\n基建处,,,\n"
    (workspace.root / "units.csv").write_bytes(text.encode(encoding))
    roster = workspace.roster()
    assert roster.names == ["计划财务处", "基建处"]
    assert roster.resolve("财务") == "计划财务处" and roster.resolve("计 财 处") == "计划财务处"
    assert roster.units[0].head == "张三" and roster.units[0].leader == "李四"


def test_a_control_character_pasted_into_a_roster_name_is_dropped(workspace):
    """Invisible, it rode along into every letter and register naming the unit (a warning each time), and no form's
    name matched it."""
    (workspace.root / "units.csv").write_text("单位,别名\n控制\x07字符处,控\x1b制\n", encoding="utf-8")
    roster = workspace.roster()
    assert roster.names == ["控制字符处"] and roster.resolve("控制") == "控制字符处"


@pytest.mark.parametrize(("written", "file", "meant"), [
    ("国有资产管里处", "国资处.doc", "国有资产管理处"),  # a character wrong; the file named by an alias
    ("国有资产管处", "国有资产管理处风险表.docx", "国有资产管理处"),  # one missing inside
    ("信息工程学员", "信息学院.xlsx", "信息工程学院"),
    ("国有资产管里处", "风险表.docx", None),  # nothing else says so
    ("人文学院", "人文学院.docx", None),  # a unit of its own, 文学院 inside its name: one more at the start
    ("人文学院", "文学院.docx", None),
    ("中医学院", "中医学院.docx", None),
    ("财务处长", "财务处长.docx", None),  # one more at the end (an alias of 计划财务处 inside)
    ("机电工程学院", "机电工程学院.docx", None),  # 机械工程学院 one character off, the file its own name
    ("基健处", "基建处.docx", None),  # too short to be sure
])
def test_a_name_is_taken_for_a_roster_unit_s_only_when_it_is_surely_a_slip(written, file, meant):
    from lzdocs.workspace import Roster, Unit

    roster = Roster([Unit("国有资产管理处", ("资产处", "国资处")), Unit("信息工程学院", ("信息学院",)),
                     Unit("计划财务处", ("计财处", "财务处")), Unit("文学院"), Unit("医学院"), Unit("机械工程学院"),
                     Unit("基建处")])
    assert roster.misspelt(written, file) == meant


def test_roster_from_xlsx_when_there_is_no_csv(workspace):
    (workspace.root / "units.csv").unlink()
    wb = Workbook()
    wb.active.append(["单位", "别名"])
    wb.active.append(["图书馆", "馆"])
    wb.save(workspace.root / "units.xlsx")
    assert workspace.roster().resolve("馆") == "图书馆"


@pytest.mark.parametrize("written, suggested", [
    ("资产管理处", ["国有资产管理处"]),  # not 后勤管理处 or 教务处, which only share 管理处 or 处
    ("计财", ["计划财务处"]),  # through the alias 计财处
    ("基建", ["基建处"]),
    ("图书", ["图书馆"]),
    ("计划财务科", ["计划财务处"]),
    ("内蒙古工业大学资产管理处（公章）", ["国有资产管理处"]),
    ("外国语学院", []),
])
def test_the_default_roster_suggests_only_names_that_are_really_close(workspace, written, suggested):
    assert workspace.roster().closest(written) == suggested


def test_a_unit_the_roster_does_not_know_is_refused_in_one_wording_wherever_it_is_typed(workspace):
    """One look-up for a unit the clerk types (a letter, a case, a unit's record …): the same message everywhere,
    naming only the really close roster names; an empty roster takes the name as written."""
    from lzdocs import Office
    from lzdocs.documents.kinds import KINDS
    from lzdocs.errors import ConfigError
    from lzdocs.store import Store
    from tests.conftest import TODAY

    message = "单位“资产管理处”不在单位名单中，最接近的是：国有资产管理处"
    with Office(workspace, today=TODAY) as office, pytest.raises(ConfigError, match=f"^{message}；请使用"):
        office.resolve_unit("资产管理处")
    with Store.for_workspace(workspace) as store, pytest.raises(ConfigError, match=f"^{message}；请使用"):
        from lzdocs.documents.letters import LetterOffice

        LetterOffice(workspace, store).prepare(KINDS["suggestion"], "资产管理处", {}, TODAY)
    with pytest.raises(ConfigError, match="^单位“外国语学院”不在单位名单中；"):
        workspace.roster().require("外国语学院")
    assert workspace.roster().require(" 计财处 ") == "计划财务处"  # an alias, with the spaces typed around it
    (workspace.root / "units.csv").write_text("单位,别名\n", encoding="utf-8")
    assert workspace.roster().require(" 外国语学院 ") == "外国语学院"


def test_roster_without_unit_column_is_a_clear_error(workspace):
    (workspace.root / "units.csv").write_text("名称\n计财处\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        workspace.roster()
    assert "单位" in str(exc.value)


def test_deadline_as_month_day_applies_to_every_year(workspace):
    assert workspace.settings.deadline(2026) == dt.date(2026, 11, 16)
    assert workspace.settings.deadline(2011) == dt.date(2011, 11, 16)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_path_in_the_workspace_is_said_as_resolving_it_says(tmp_path):
    """``Workspace.relative`` answers most paths without resolving them (no link below the workspace on the way):
    the same answer as resolving — a link inside leads where it leads, outside the workspace the path as given."""
    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    (tmp_path / "elsewhere").mkdir()
    (ws.outbox / "链接").symlink_to(tmp_path / "elsewhere")
    (ws.outbox / "内链").symlink_to(ws.inbox)
    for path in (ws.outbox / "2026" / "收文" / "图书馆" / "图书馆.docx", ws.outbox / "链接" / "x.docx",
                 ws.outbox / "内链" / "退回" / "x.docx", ws.outbox / ".." / "inbox" / "x.docx", ws.root,
                 tmp_path / "elsewhere" / "x.docx", ws.outbox / "不存在" / "y.docx"):
        try:
            resolved = path.resolve().relative_to(ws.root).as_posix()
        except ValueError:
            resolved = str(path)
        assert ws.relative(path) == resolved, path
