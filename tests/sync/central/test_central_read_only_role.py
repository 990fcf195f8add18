"""The dashboard's own PostgreSQL role (`madoguchi central grant-read-only`): it reads every table
of the central store, including tables a later migration adds, and can write none of them."""

import psycopg
import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from sync.central.dashboard.readonly_store import open_readonly
from sync.central.stores import open_store
from tests.support.sync import fresh_central_db


@pytest.fixture
def dsn(tmp_path, request):
    return fresh_central_db("postgres", tmp_path, request)


def _as(dsn: str, role: str) -> str:
    return dsn.replace("user=madoguchi", f"user={role}")


def test_the_role_reads_and_cannot_write(dsn):
    open_store(dsn).close()  # the store's tables, as the receiver creates them
    result = CliRunner().invoke(cli, ["central", "grant-read-only", "--db", dsn])
    assert result.exit_code == 0, result.output
    assert "may now read" in result.output

    reader = open_readonly(_as(dsn, "madoguchi-dashboard"))
    try:
        assert reader.devices() == []  # the dashboard's reports work through the role
    finally:
        reader.close()

    with psycopg.connect(_as(dsn, "madoguchi-dashboard"), autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        assert "records" in tables and "schema_migrations" in tables
        for table in tables:
            conn.execute(f"SELECT count(*) FROM {table}")  # every table readable
        for write in (
            "INSERT INTO schema_migrations VALUES ('x', 0)",
            "DELETE FROM records",
            "CREATE TABLE mine (a int)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(write)


def test_tables_added_later_are_readable_too(dsn):
    open_store(dsn).close()
    assert CliRunner().invoke(cli, ["central", "grant-read-only", "--db", dsn]).exit_code == 0
    with psycopg.connect(dsn, autocommit=True) as owner:
        owner.execute("CREATE TABLE later_migration (a int)")
    with psycopg.connect(_as(dsn, "madoguchi-dashboard"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM later_migration").fetchone() == (0,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "/var/lib/madoguchi-central/central.db"], "is for a PostgreSQL store"),
        (["--db", "DSN", "--role", "Robert'); DROP TABLE records;--"], "cannot grant read-only"),
    ],
)
def test_refusals_are_one_line(dsn, args, message):
    args = [dsn if a == "DSN" else a for a in args]
    result = CliRunner().invoke(cli, ["central", "grant-read-only", *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
