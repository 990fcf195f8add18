"""Staff logins on the dashboard (`--staff-login`) with the consultation console's accounts, on
the real Flask app over a real central store (SQLite and PostgreSQL): pages need a login, a city
account sees everything, a center account its own center only, a console-only account nothing,
a disabled account is out within the recheck time, failures lock, the token still admits
machines, and `next` never leads off the site."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from sync.central.consult import ConsultTables
from sync.central.consult.app import ConsoleConfig
from sync.central.consult.app import create_app as create_console
from sync.central.dashboard.app import DashboardConfig, create_app
from sync.central.dashboard.queries import Center
from sync.central.stores import open_store
from tests.support.consult import PASSWORD, add_staff
from tests.support.sync import central_db  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(120)

CENTERS = {"d-kita-1": Center("d-kita-1", "北"), "d-minami-1": Center("d-minami-1", "南")}
TOKEN = "machine-token-" + "t" * 20


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(central_db):  # noqa: F811
    open_store(central_db).close()
    add_staff(central_db, "mori", "dashboard")
    add_staff(central_db, "kita", "dashboard:北")
    add_staff(central_db, "tanaka", "specialist")
    add_staff(central_db, "both", "specialist", "dashboard")
    return central_db


def _app(db, clock=None, token=None):
    config = DashboardConfig(db=db, staff_login=True, refresh_s=0, min_residents=1, token=token)
    return create_app(config, centers=lambda: CENTERS, monotonic=clock or Clock())


def _nonce(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="nonce" value="([^"]+)"', page).group(1)


def _login(client, username, password=PASSWORD, next_path=None):
    data = {"username": username, "password": password, "nonce": _nonce(client)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data)


def test_pages_need_a_login_and_a_city_account_sees_everything(db):
    client = _app(db).test_client()
    r = client.get("/today?window=7d")
    assert r.status_code == 303 and r.headers["Location"] == "/login?next=" + "/today?window=7d"
    assert client.get("/api/today").status_code == 401
    page = client.get("/login").get_data(as_text=True)
    assert "ダッシュボードへのログイン" in page and 'action="/login"' in page
    assert "form-action 'self'" in client.get("/login").headers["Content-Security-Policy"]
    r = _login(client, "mori", "wrong password!")
    assert r.status_code == 401 and "ユーザー名またはパスワードが違います" in r.get_data(
        as_text=True
    )
    assert _login(client, "nobody").status_code == 401  # the same answer for an unknown user
    r = _login(client, "mori", next_path="/today?window=7d")
    assert r.status_code == 303 and r.headers["Location"] == "/today?window=7d"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/today?window=7d")
    assert page.status_code == 200 and "ログアウト" in page.get_data(as_text=True)
    assert client.get("/api/today").status_code == 200
    assert client.get("/satisfaction").status_code == 200
    assert client.get(f"/center?name={quote('南')}").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/today").status_code == 303


def test_a_center_account_sees_its_own_center_only(db):
    client = _app(db).test_client()
    r = _login(client, "kita")
    assert r.status_code == 303 and r.headers["Location"] == "/center?name=" + quote("北")
    assert client.get(f"/center?name={quote('北')}").status_code == 200
    assert client.get(f"/api/center?name={quote('北')}").status_code == 200
    for path in (f"/center?name={quote('南')}", "/today", "/api/today", "/", "/shelter"):
        r = client.get(path)
        assert r.status_code == 403, path
    assert "市全体" in client.get("/today").get_data(as_text=True)


def test_an_account_without_a_dashboard_role_cannot_log_in(db):
    client = _app(db).test_client()
    r = _login(client, "tanaka")
    assert r.status_code == 403 and "ダッシュボードを見る役割がありません" in r.get_data(
        as_text=True
    )
    assert client.get("/today").status_code == 303
    assert _login(client, "both").status_code == 303  # an account may have both roles


def test_a_dashboard_only_account_cannot_use_the_consultation_console(db):
    console = create_console(ConsoleConfig(db, secret_key=b"k" * 32)).test_client()
    r = console.post("/login", data={"username": "mori", "password": PASSWORD})
    assert r.status_code == 403 and "ダッシュボード用" in r.get_data(as_text=True)
    assert console.get("/api/queue").status_code in (401, 302)
    r = console.post("/login", data={"username": "both", "password": PASSWORD})
    assert r.status_code == 302


def test_a_disabled_account_is_out_within_the_recheck_time(db):
    clock = Clock()
    client = _app(db, clock).test_client()
    assert _login(client, "mori").status_code == 303
    store = open_store(db)
    try:
        assert ConsultTables(store).set_disabled("mori", True)
    finally:
        store.close()
    assert client.get("/today").status_code == 200  # within the recheck time
    clock.now += 11
    assert client.get("/today").status_code == 303
    assert client.get("/api/today").status_code == 401


def test_failed_logins_lock_the_username_and_the_client(db):
    clock = Clock()
    client = _app(db, clock).test_client()
    for _ in range(10):
        assert _login(client, "mori", "not the password").status_code == 401
    r = _login(client, "mori")  # even the right password, for a while
    assert r.status_code == 429 and "しばらくログインできません" in r.get_data(as_text=True)
    other = _app(db, clock).test_client()
    assert _login(other, "mori").status_code == 303  # another process: its own count
    clock.now += 301
    assert _login(client, "mori").status_code == 303


def test_the_token_still_admits_machines(db):
    client = _app(db, token=TOKEN).test_client()
    ok = client.get("/api/today", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    bad = client.get("/api/today", headers={"Authorization": "Bearer wrong-token-xxxxxxxxxx"})
    assert bad.status_code == 401


def test_a_login_posted_without_the_form_nonce_is_refused(db):
    client = _app(db).test_client()
    data = {"username": "mori", "password": PASSWORD}
    r = client.post("/login", data=data)  # another site's form: no session, no nonce
    assert r.status_code == 403 and "もう一度ログインしてください" in r.get_data(as_text=True)
    r = client.post(
        "/login", data={**data, "nonce": _nonce(client)}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403
    assert client.get("/today").status_code == 303  # not logged in
    r = client.post("/login", data={**data, "nonce": _nonce(client)}, headers={"Origin": "null"})
    assert r.status_code == 303  # the browser's own form under Referrer-Policy no-referrer


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)", "today"]
)
def test_next_never_leads_off_the_site(db, target):
    client = _app(db).test_client()
    r = _login(client, "mori", next_path=target)
    assert r.status_code == 303 and r.headers["Location"] == "/today"


@pytest.mark.parametrize(
    ("role", "ok"),
    [
        ("dashboard", True),
        ("dashboard:北", True),
        ("dashboard:", False),
        ("dashboard:中央 公民館", False),
        ("dashboards", False),
    ],
)
def test_dashboard_roles_are_granted_with_the_staff_command(tmp_path, role, ok):
    db = str(tmp_path / "central.db")
    argv = ["consult", "add-staff", "--db", db, "--role", role, "--password-stdin", "yamada"]
    r = CliRunner().invoke(cli, argv, input=PASSWORD + "\n")
    assert (r.exit_code == 0) is ok, r.output
    if not ok:
        assert "unknown role" in r.output and "dashboard:<center>" in r.output


def test_a_short_cookie_secret_is_refused_at_start(tmp_path):
    import os
    import subprocess
    import sys

    db = str(tmp_path / "central.db")
    open_store(db).close()
    env = {**os.environ, "MADOGUCHI_DASHBOARD_SECRET": "short"}
    argv = [sys.executable, "-m", "madoguchi.cli", "central", "dashboard", "--db", db]
    r = subprocess.run(
        [*argv, "--staff-login", "--listen", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "MADOGUCHI_DASHBOARD_SECRET must be at least 32 characters" in r.stderr
