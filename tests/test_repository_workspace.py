"""The repository root is itself a ready workspace, and its editable templates are the packaged defaults."""

from importlib import resources

from lzdocs.workspace import Workspace
from tests.conftest import REPO


def test_repository_root_opens_as_a_workspace_with_a_roster():
    ws = Workspace.open(REPO)
    assert ws.roster().resolve("计财处") == "计划财务处"
    assert ws.inbox.is_dir() and ws.rejected.is_dir() and ws.outbox.is_dir()


def named_templates() -> set[str]:
    """Every template the product asks for by name: each letter kind's and the 公示表's."""
    from lzdocs.documents.letters import KINDS
    from lzdocs.documents.publicity import TEMPLATE_NAME

    return {kind.template for kind in KINDS.values()} | {TEMPLATE_NAME}


def test_every_template_the_product_names_is_packaged_and_in_the_repository_workspace():
    packaged = {p.name for p in (resources.files("lzdocs") / "templates").iterdir() if p.name.endswith(".docx")}
    assert packaged == named_templates()
    assert {p.name for p in (REPO / "templates").glob("*.docx")} == named_templates()


def test_repository_templates_are_the_packaged_defaults():
    packaged = {p.name: p.read_bytes() for p in (resources.files("lzdocs") / "templates").iterdir()
                if p.name.endswith(".docx")}
    assert packaged, "no packaged templates"
    for name, data in packaged.items():
        assert (REPO / "templates" / name).read_bytes() == data, f"templates/{name} differs from lzdocs/templates/"
