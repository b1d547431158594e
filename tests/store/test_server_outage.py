"""A database server that is gone — stopped, restarting, cut off — is told apart from a fault of the archive: the
watcher waits for the first (docs/product.md §9), and says the second."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from lzdocs.store import Store
from lzdocs.store.db import DatabaseUnavailable, database_error

psycopg = pytest.importorskip("psycopg")
URL = "postgresql+psycopg://lzdocs@db.example/lzdocs"


@pytest.mark.parametrize("error", [
    psycopg.OperationalError('connection is bad: connection to server on socket "/run/.s.PGSQL.5432" failed'),
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.errors.ConnectionFailure("server conn crashed?"),
    psycopg.errors.CannotConnectNow("the database system is not yet accepting connections"),
], ids=["no-answer", "admin-shutdown", "connection-failure", "starting-up"])
def test_a_server_that_is_not_there_is_waited_for(error):
    found = database_error(URL, OperationalError("SELECT 1", None, error))
    assert isinstance(found, DatabaseUnavailable)
    assert str(found).startswith("无法连接数据库服务器：db.example/lzdocs")


@pytest.mark.parametrize("error, said", [
    (psycopg.errors.LockNotAvailable("could not obtain lock on row"), "档案库出错"),
    (psycopg.errors.DiskFull("could not extend file"), "档案库出错"),
    (sqlite3.OperationalError("database is locked"), "档案库正被另一个程序占用"),
    (sqlite3.OperationalError("disk I/O error"), "读写档案库时出错"),
], ids=["lock", "disk-full", "sqlite-locked", "sqlite-io"])
def test_a_server_that_answers_with_an_error_is_not_waited_for(error, said):
    found = database_error(URL, OperationalError("SELECT 1", None, error))
    assert not isinstance(found, DatabaseUnavailable)
    assert said in str(found)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_stopped_server_under_a_pooled_connection_is_unavailable_until_it_is_back(postgres_server):
    """The case a watcher met: the server stopped while the archive's pool held a connection. Every use of the
    archive then said "connection is bad" and was taken for a fault, so the watcher set file after file aside
    instead of waiting."""
    store = Store(postgres_server.new_schema())
    try:
        with store.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
        postgres_server.down()
        try:
            for _ in range(2):
                for use in (store.read, store.begin):
                    with pytest.raises(DatabaseUnavailable, match="无法连接数据库服务器"), use() as conn:
                        conn.exec_driver_sql("SELECT 1")
        finally:
            postgres_server.up()
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        store.close()
