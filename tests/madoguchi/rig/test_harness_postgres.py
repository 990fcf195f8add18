"""The PostgreSQL rig is real: a throwaway cluster on a Unix socket, reached with psycopg 3."""

import psycopg


def test_postgres_cluster_round_trip(postgres):
    with psycopg.connect(postgres.dsn, connect_timeout=10) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        assert int(version.split(".")[0]) >= 13
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
        conn.execute("CREATE TABLE t (device_id text, seq bigint, PRIMARY KEY (device_id, seq))")
        conn.execute("INSERT INTO t VALUES ('d1', 1), ('d1', 2)")
        conn.execute("INSERT INTO t VALUES ('d1', 2) ON CONFLICT DO NOTHING")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 2
        conn.execute("DROP TABLE t")


def test_postgres_runs_unprivileged(postgres):
    import os

    with psycopg.connect(postgres.dsn, connect_timeout=10) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # The server process must not run as root (PostgreSQL refuses it; we run as 'postgres').
        # Looked at while connected: the backend process ends with its connection.
        assert os.stat(f"/proc/{pid}").st_uid != 0
