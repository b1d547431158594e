"""The repository root is itself a ready workspace, and its editable templates are the packaged defaults."""

from importlib import resources

from lzdocs.workspace import Workspace
from tests.conftest import REPO


def test_repository_root_opens_as_a_workspace_with_a_roster():
    ws = Workspace.open(REPO)
    assert ws.roster().resolve("计财处") == "计划财务处"
    assert ws.inbox.is_dir() and ws.rejected.is_dir() and ws.outbox.is_dir()


def test_repository_templates_are_the_packaged_defaults():
    packaged = {p.name: p.read_bytes() for p in (resources.files("lzdocs") / "templates").iterdir()
                if p.name.endswith(".docx")}
    assert packaged, "no packaged templates"
    for name, data in packaged.items():
        assert (REPO / "templates" / name).read_bytes() == data, f"templates/{name} differs from lzdocs/templates/"
