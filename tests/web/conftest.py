"""An archive for the status page's tests: three units' forms (on time, late, returned), two letters (one overdue)."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_ROWS, SAMPLE_SCHOOL, TODAY, cli_env, run_cli, use_database

OVERDUE_NUMBER = "内工大纪建〔2026〕1号"  # to 计划财务处, dated 2026-10-01, reply due 2026-10-31: 28 days overdue
OPEN_NUMBER = "内工大纪建〔2026〕2号"  # to 人事处, dated 2026-11-25, reply due 2026-12-25
PASSWORD = "正确的密码-2026"


def on(day: str, root: Path, *args, check=0):
    return run_cli("-w", root, *args, env=cli_env(LZDOCS_TODAY=day), check=check)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive(tmp_path_factory, request) -> Path:
    """A workspace whose archive the web tests only read (never change it in a test), on SQLite and on PostgreSQL:
    the page reads the same archive as the CLI."""
    from lzdocs.documents.blankform import write_docx, write_xlsx
    from lzdocs.forms.schema import risk_kind

    tmp = tmp_path_factory.mktemp("web")
    root = tmp / "工作区"
    run_cli("init", root, *SAMPLE_SCHOOL, check=0)
    if request.param == "postgresql":
        use_database(root, request.getfixturevalue("postgres_server").new_schema())
    finance = write_xlsx(risk_kind(), tmp / "计财处.xlsx", unit="计划财务处", rows=SAMPLE_ROWS,
                         date=dt.date(2026, 11, 10))
    staff_rows = [{**SAMPLE_ROWS[1], "post": "人事专员", "risk": "违规办理人员调动", "category": "人事管理"}]
    staff = write_docx(risk_kind(), tmp / "人事处.docx", unit="人事处", rows=staff_rows, date=dt.date(2026, 11, 18))
    write_docx(risk_kind(), root / "inbox" / "组织部.docx", unit="组织部",
                        rows=[{**SAMPLE_ROWS[0], "risk": "", "post": "干部科"}], date=dt.date(2026, 11, 12))
    on("2026-11-10", root, "ingest", finance, "--received", "2026-11-10")
    on("2026-11-20", root, "ingest", staff, "--received", "2026-11-20")
    on("2026-11-12", root, "ingest", check=1)  # from the inbox: the file is returned to inbox/退回/
    on("2026-10-01", root, "letter", "suggestion", "--unit", "计财处", "--set", "事由=在2026年度廉政风险防控工作检查中",
       "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度", "--risk", "挪用公款")
    on("2026-11-25", root, "letter", "suggestion", "--unit", "人事处", "--set", "事由=在检查中",
       "--set", "问题=调动程序不规范", "--set", "建议=完善调动制度")
    on("2026-11-26", root, "publicity", "--start", "2026-11-27", "--days", "5")  # the 公示表 posted
    return root


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """argon2 at its lowest cost in these tests: the product's (64 MiB, 3 passes; checked by
    test_passwords_are_hashed_at_argon2s_recommended_cost) takes 0.1–1 s a hash, and the tests log in hundreds of
    times. A hash records its own cost, so verifying follows whichever made it."""
    from argon2 import PasswordHasher

    monkeypatch.setattr("lzdocs.web.auth._hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def users(tmp_path):
    from lzdocs.web.auth import Users

    users = Users(tmp_path)
    users.add("张三", PASSWORD, created=dt.datetime(2026, 11, 1))
    return users


@pytest.fixture
def office(archive):
    from lzdocs.office import Office

    with Office(archive, today=TODAY) as office:
        yield office


def client_of(app, base_url: str = "http://127.0.0.1:8800"):
    with warnings.catch_warnings():  # Starlette 1.x prefers a client package not on every index; httpx works
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from starlette.testclient import TestClient

        return TestClient(app, base_url=base_url, follow_redirects=False)


@pytest.fixture
def local(office):
    """The page as served on 127.0.0.1: no login."""
    from lzdocs.web import build

    return client_of(build(office, "127.0.0.1"))
