"""The specialist console's accounts, login, roles and queue, on the real Flask app over a real
central store (SQLite and PostgreSQL), with requests queued through the real relay handler."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from madoguchi.cli import cli
from sync.central.consult import ConsultTables
from sync.central.consult.app import ConsoleConfig, create_app
from sync.central.stores import open_store
from tests.support.consult import ANSWER, OFFER, PASSWORD, add_staff, relay_for
from tests.support.sync import central_db  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def db(central_db):  # noqa: F811
    open_store(central_db).close()
    add_staff(central_db, "tanaka", "specialist")
    add_staff(central_db, "sato", "specialist")
    add_staff(central_db, "nguyen", "interpreter")
    return central_db


def _client(db, username=None):
    app = create_app(ConsoleConfig(db, secret_key=b"k" * 32))
    client = app.test_client()
    if username:
        r = client.post("/login", data={"username": username, "password": PASSWORD})
        assert r.status_code == 302, r.data
    return client


def _queue(db, device="term-1", topic="welfare") -> str:
    got = relay_for(db, {"term-1": "東町センター"}).handle(
        device, {"op": "open", "topic": topic, "language": "en", "offer": OFFER}
    )
    assert got["ok"], got
    return got["consultation"]


def test_add_staff_cli_stores_only_a_hash(tmp_path):
    db = str(tmp_path / "central.db")
    runner = CliRunner()
    r = runner.invoke(
        cli,
        [
            "consult",
            "add-staff",
            "--db",
            db,
            "--role",
            "specialist",
            "--role",
            "supervisor",
            "--password-stdin",
            "yamada",
        ],
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    store = open_store(db)
    try:
        staff, digest = ConsultTables(store).staff("yamada")
    finally:
        store.close()
    assert staff.roles == ("specialist", "supervisor")
    assert digest.startswith("scrypt$") and PASSWORD not in digest
    r = runner.invoke(cli, ["consult", "list-staff", "--db", db, "--json"])
    assert json.loads(r.output) == {
        "staff": [{"username": "yamada", "roles": ["specialist", "supervisor"]}]
    }


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["--role", "wizard", "u1"], PASSWORD, "unknown role 'wizard'"),
        (["--role", "specialist", "U1!"], PASSWORD, "a username is 2-32 characters"),
        (["--role", "specialist", "u1"], "short", "a password is 10 to 256"),
    ],
)
def test_add_staff_cli_refuses_bad_input(tmp_path, args, password, message):
    db = str(tmp_path / "central.db")
    r = CliRunner().invoke(
        cli, ["consult", "add-staff", "--db", db, "--password-stdin", *args], input=password + "\n"
    )
    assert r.exit_code == 1 and message in r.output, r.output


def test_add_staff_twice_is_refused_and_keeps_the_first(tmp_path):
    db = str(tmp_path / "central.db")
    argv = ["consult", "add-staff", "--db", db, "--role", "specialist", "--password-stdin", "ito"]
    assert CliRunner().invoke(cli, argv, input=PASSWORD + "\n").exit_code == 0
    r = CliRunner().invoke(cli, argv, input="another password!\n")
    assert r.exit_code == 1 and "exists already" in r.output
    assert _client(db, "ito").get("/api/queue").status_code == 200  # first password still works


def test_login_required_and_wrong_password_refused(db):
    client = _client(db)
    assert client.get("/").status_code == 302
    r = client.get("/api/queue")
    assert r.status_code == 401 and r.json["reason"] == "login_required"
    for user, password in (("tanaka", "wrong password"), ("nobody", PASSWORD)):
        r = client.post("/login", data={"username": user, "password": password})
        assert r.status_code == 401 and 'id="login-error"' in r.text
    assert client.get("/api/queue").status_code == 401


def test_queue_shows_topic_center_language_wait_and_nothing_else(db):
    cid = _queue(db)
    client = _client(db, "tanaka")
    r = client.get("/api/queue")
    assert r.status_code == 200
    (row,) = r.json["requests"]
    assert set(row) == {"id", "topic", "center", "language", "waiting_s"}
    assert (row["id"], row["topic"], row["center"], row["language"]) == (
        cid,
        "welfare",
        "東町センター",
        "en",
    )
    page = client.get("/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "console.js" in page.text


def test_accept_by_role_once_and_only_the_acceptor_answers(db):
    cid = _queue(db)
    interpreter = _client(db, "nguyen")
    r = interpreter.post(f"/api/accept/{cid}", json={})
    assert r.status_code == 403 and r.json["reason"] == "role_may_not_accept"
    assert 'id="no-accept"' in interpreter.get("/").text
    tanaka, sato = _client(db, "tanaka"), _client(db, "sato")
    r = tanaka.post(f"/api/accept/{cid}", json={})
    assert r.status_code == 200 and r.json["offer"] == OFFER and r.json["ice_servers"] == []
    assert sato.post(f"/api/accept/{cid}", json={}).status_code == 409
    assert tanaka.get("/api/queue").json["requests"] == []
    assert sato.post(f"/api/answer/{cid}", json={"sdp": ANSWER}).status_code == 403
    assert tanaka.post(f"/api/answer/{cid}", json={"sdp": ANSWER}).status_code == 200
    polled = relay_for(db).handle("term-1", {"op": "poll", "consultation": cid})
    assert polled["state"] == "accepted" and polled["answer"] == ANSWER
    assert (polled["staff_role"], polled["staff_name"]) == ("specialist", "tanaka")
    assert tanaka.post(f"/api/hangup/{cid}", json={"outcome": "resolved"}).json["state"] == "ended"
    polled = relay_for(db).handle("term-1", {"op": "poll", "consultation": cid})
    assert polled == {"ok": True, "state": "ended", "ended_by": "console"}
    store = open_store(db)
    try:
        t = ConsultTables(store)
        (record,) = t.records()
        assert t.signals(cid, "terminal") == [] and t.signals(cid, "console") == []
    finally:
        store.close()
    assert (record.outcome, record.accepted_by, record.accepted_role) == (
        "resolved",
        "tanaka",
        "specialist",
    )
    assert record.accepted_at >= record.queued_at and record.ended_at >= record.accepted_at


@pytest.mark.parametrize(
    "method, path, kwargs, status, reason",
    [
        ("post", "/api/accept/{cid}", {"data": "{}"}, 415, "json_required"),
        (
            "post",
            "/api/accept/{cid}",
            {"json": {}, "headers": {"Origin": "http://evil.example"}},
            403,
            "foreign_origin",
        ),
        ("post", "/api/accept/" + "0" * 32, {"json": {}}, 404, "unknown_consultation"),
        ("post", "/api/accept/../../x", {"json": {}}, 404, None),
        ("post", "/api/answer/{cid}", {"json": {"sdp": "hello"}}, 400, "bad_answer"),
        ("post", "/api/answer/{cid}", {"json": ["v=0"]}, 400, "bad_answer"),
        ("post", "/api/hangup/{cid}", {"json": {"outcome": "<b>"}}, 400, "unknown_outcome"),
    ],
)
def test_console_bad_requests(db, method, path, kwargs, status, reason):
    cid = _queue(db)
    client = _client(db, "tanaka")
    if "answer" in path or "hangup" in path:
        assert client.post(f"/api/accept/{cid}", json={}).status_code == 200
    r = getattr(client, method)(path.format(cid=cid), **kwargs)
    assert r.status_code == status
    if reason:
        assert r.json["reason"] == reason


def test_a_terminal_that_stops_polling_leaves_the_queue(db):
    cid = _queue(db)
    app = create_app(ConsoleConfig(db, secret_key=b"k" * 32, stale_s=-1.0))
    client = app.test_client()
    client.post("/login", data={"username": "tanaka", "password": PASSWORD})
    assert client.get("/api/queue").json["requests"] == []
    polled = relay_for(db).handle("term-1", {"op": "poll", "consultation": cid})
    assert polled == {"ok": True, "state": "ended", "ended_by": "network"}


def test_handover_requeues_under_the_new_topic_after_the_terminal_reoffers(db):
    cid = _queue(db, topic="general")
    add_staff(db, "kato", "front_desk")
    front, tanaka = _client(db, "kato"), _client(db, "tanaka")
    assert front.post(f"/api/accept/{cid}", json={}).status_code == 200
    r = tanaka.post(f"/api/handover/{cid}", json={"topic": "tax"})
    assert r.status_code == 403  # not their call
    for bad in ({"topic": "general"}, {"topic": "astrology"}, {}):
        r = front.post(f"/api/handover/{cid}", json=bad)
        assert r.status_code == 400 and r.json["reason"] == "unknown_topic"
    r = front.post(f"/api/handover/{cid}", json={"topic": "tax"})
    assert r.json == {"ok": True, "state": "handover", "topic": "tax"}
    assert front.post(f"/api/handover/{cid}", json={"topic": "care"}).status_code == 403
    relay = relay_for(db)
    assert relay.handle("term-1", {"op": "poll", "consultation": cid}) == {
        "ok": True,
        "state": "handover",
        "topic": "tax",
    }
    assert tanaka.get("/api/queue").json["requests"] == []  # not before the new offer
    new_offer = OFFER.replace("o=- 1 1", "o=- 3 3")
    got = relay.handle("term-1", {"op": "reoffer", "consultation": cid, "offer": new_offer})
    assert got == {"ok": True, "position": 1}
    again = relay.handle("term-1", {"op": "reoffer", "consultation": cid, "offer": new_offer})
    assert again == {"ok": False, "reason": "not_handed_over"}
    (row,) = tanaka.get("/api/queue").json["requests"]
    assert row["topic"] == "tax"
    assert tanaka.post(f"/api/accept/{cid}", json={}).json["offer"] == new_offer
    assert tanaka.post(f"/api/hangup/{cid}", json={"outcome": "resolved"}).status_code == 200
    store = open_store(db)
    try:
        record = ConsultTables(store).get(cid)
    finally:
        store.close()
    assert (record.topic, record.handovers, record.handover_topics, record.roles) == (
        "tax",
        1,
        "general>tax",
        "front_desk specialist",
    )
    assert (record.accepted_by, record.outcome) == ("tanaka", "resolved")


def _signals(db, cid):
    store = open_store(db)
    try:
        return store._read(
            "test signals",
            "SELECT sender, type, body FROM consult_signals WHERE consultation_id = ? ORDER BY id",
            (cid,),
        )
    finally:
        store.close()


def _handover(db, client, cid, topic, note):
    r = client.post(f"/api/handover/{cid}", json={"topic": topic, "note": note})
    assert r.status_code == 200, r.json
    new_offer = OFFER.replace("o=- 1 1", f"o=- {len(topic)} 1")
    got = relay_for(db).handle("term-1", {"op": "reoffer", "consultation": cid, "offer": new_offer})
    assert got["ok"], got


def test_the_handover_note_reaches_the_next_taker_only_and_is_not_kept(db):
    cid = _queue(db, topic="general")
    add_staff(db, "kato", "front_desk")
    front, tanaka, sato = _client(db, "kato"), _client(db, "tanaka"), _client(db, "sato")
    assert front.post(f"/api/accept/{cid}", json={}).json["note"] == ""  # none on a first take
    for bad in (
        {"topic": "tax", "note": "x" * 301},
        {"topic": "tax", "note": ["a"]},
        {"topic": "tax", "note": "ok\x1b[2J"},
    ):
        r = front.post(f"/api/handover/{cid}", json=bad)
        assert (r.status_code, r.json["reason"]) == (400, "bad_note")
    assert (
        relay_for(db).handle("term-1", {"op": "poll", "consultation": cid})["state"] == "accepted"
    )
    note = "固定資産税の納付について。\n書類は手元にあります。"
    _handover(db, front, cid, "tax", note)
    assert ("console", "note", note) in _signals(db, cid)  # waits for the next taker only
    got = tanaka.post(f"/api/accept/{cid}", json={}).json
    assert got["ok"] and got["note"] == note
    assert all(t != "note" for _, t, _ in _signals(db, cid))  # handed over, not kept
    # The next hand-over without a note leaves none; one with a note goes with the end.
    _handover(db, tanaka, cid, "welfare", "")
    assert sato.post(f"/api/accept/{cid}", json={}).json["note"] == ""
    _handover(db, sato, cid, "care", "介護の申請の相談")
    assert relay_for(db).handle("term-1", {"op": "hangup", "consultation": cid})["ok"]
    assert _signals(db, cid) == []  # nobody took it: the note went with the call


def test_the_waiting_estimate_comes_from_recent_waits_of_the_topic(db):
    first = _queue(db, topic="care")
    relay = relay_for(db)
    poll = relay.handle("term-1", {"op": "poll", "consultation": first})
    assert "estimate_s" not in poll  # no history: no number rather than a made-up one
    tanaka = _client(db, "tanaka")
    assert tanaka.post(f"/api/accept/{first}", json={}).status_code == 200
    second, third = _queue(db, topic="care"), _queue(db, topic="care")
    store = open_store(db)
    try:
        record = ConsultTables(store).get(first)
    finally:
        store.close()
    waited = record.accepted_at - record.queued_at
    assert relay.handle("term-1", {"op": "poll", "consultation": second})["estimate_s"] == round(
        waited, 1
    )
    assert relay.handle("term-1", {"op": "poll", "consultation": third})["estimate_s"] == round(
        2 * waited, 1
    )


def test_the_browser_gets_only_the_configured_ice_servers(db):
    cid = _queue(db)
    turn = {"urls": "turn:turn.city.example:3478", "username": "u", "credential": "c"}
    app = create_app(ConsoleConfig(db, secret_key=b"k" * 32, ice_servers=(turn,)))
    client = app.test_client()
    client.post("/login", data={"username": "tanaka", "password": PASSWORD})
    assert client.post(f"/api/accept/{cid}", json={}).json["ice_servers"] == [turn]


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--ice-server", "http://stun.example"], {}, "--ice-server must be a turn:"),
        (["--ice-server", "turn:turn.city.example"], {}, "needs MADOGUCHI_TURN_USERNAME"),
        (["--listen", "10.0.0.5:8090"], {}, "refusing to serve staff logins on 10.0.0.5"),
        (["--listen", "nonsense"], {}, "--listen must be HOST:PORT"),
        ([], {"MADOGUCHI_CONSULT_SECRET": "short"}, "at least 32 characters"),
    ],
)
def test_consult_serve_refuses_bad_settings(tmp_path, args, env, message):
    db = str(tmp_path / "central.db")
    r = CliRunner().invoke(cli, ["consult", "serve", "--db", db, *args], env=env)
    assert r.exit_code == 1 and message in r.output, r.output


def test_report_counts_records_without_names_or_devices(db):
    relay = relay_for(db, {"term-1": "東町センター"})
    tanaka = _client(db, "tanaka")
    ended = _queue(db, topic="tax")
    assert tanaka.post(f"/api/accept/{ended}", json={}).status_code == 200
    assert tanaka.post(f"/api/handover/{ended}", json={"topic": "care"}).status_code == 200
    relay.handle("term-1", {"op": "reoffer", "consultation": ended, "offer": OFFER})
    assert tanaka.post(f"/api/accept/{ended}", json={}).status_code == 200
    tanaka.post(f"/api/hangup/{ended}", json={"outcome": "booked_follow_up"})
    _queue(db, topic="welfare")  # still waiting
    r = CliRunner().invoke(cli, ["consult", "report", "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert (data["total"], data["ended"], data["waiting"], data["handovers"]) == (2, 1, 1, 1)
    assert data["by_topic"] == {"care": 1, "welfare": 1}
    assert data["by_center"] == {"東町センター": 2}
    assert data["by_outcome"] == {"booked_follow_up": 1}
    assert data["by_role"] == {"specialist": 2}
    assert data["wait_s_median"] >= 0 and data["call_s_median"] >= 0
    assert "tanaka" not in r.output and "term-1" not in r.output
    text = CliRunner().invoke(cli, ["consult", "report", "--db", db])
    assert text.exit_code == 0 and "hand-overs      1" in text.output


def test_repeated_failed_logins_lock_the_username_for_a_while(db):
    now = [1_000_000.0]
    app = create_app(ConsoleConfig(db, secret_key=b"k" * 32), clock=lambda: now[0])
    client = app.test_client()
    for _ in range(5):
        r = client.post("/login", data={"username": "tanaka", "password": "wrong password"})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "tanaka", "password": PASSWORD})
    assert r.status_code == 429 and 'id="login-locked"' in r.text
    assert client.post("/login", data={"username": "sato", "password": PASSWORD}).status_code == 302
    now[0] += 901
    assert (
        client.post("/login", data={"username": "tanaka", "password": PASSWORD}).status_code == 302
    )


def test_a_disabled_account_is_logged_out_and_cannot_log_in(db):
    now = [2_000_000.0]
    app = create_app(ConsoleConfig(db, secret_key=b"k" * 32), clock=lambda: now[0])
    client = app.test_client()
    assert (
        client.post("/login", data={"username": "tanaka", "password": PASSWORD}).status_code == 302
    )
    assert client.get("/api/queue").status_code == 200
    runner = CliRunner()
    r = runner.invoke(cli, ["consult", "disable-staff", "--db", db, "tanaka"])
    assert r.exit_code == 0, r.output
    now[0] += 11  # the session's presence check comes every 10 s
    assert client.get("/api/queue").status_code == 401
    assert (
        client.post("/login", data={"username": "tanaka", "password": PASSWORD}).status_code == 401
    )
    r = runner.invoke(cli, ["consult", "disable-staff", "--db", db, "--enable", "tanaka"])
    assert r.exit_code == 0
    assert (
        client.post("/login", data={"username": "tanaka", "password": PASSWORD}).status_code == 302
    )
    r = runner.invoke(cli, ["consult", "disable-staff", "--db", db, "nobody"])
    assert r.exit_code == 1 and "no staff account 'nobody'" in r.output


@pytest.mark.parametrize(
    ("language", "ja", "en"),
    [
        ("ja", "相談者の言語：日本語", "Resident's language: Japanese"),
        (
            "ja-easy",
            "相談者の言語：やさしい日本語（やさしい日本語で、漢字を少なく、短い文で書いてください）",
            "Resident's language: Easy Japanese (write in Easy Japanese: few kanji, short sentences)",
        ),
        (
            "en",
            "相談者の言語：英語（英語で書いてください）",
            "Resident's language: English (write in English)",
        ),
        *(
            (
                code,
                f"相談者の言語：{name}（やさしい日本語（漢字を少なく、短い文）か英語で書いてください）",
                f"Resident's language: {english} (write in Easy Japanese (few kanji, short sentences) or English)",
            )
            for code, name, english in (
                ("vi", "ベトナム語", "Vietnamese"),
                ("zh-Hans", "中国語（簡体字）", "Chinese"),
                ("ko", "韓国語", "Korean"),
                ("pt-BR", "ポルトガル語", "Portuguese"),
            )
        ),
        ("xx", "相談者の言語：xx", "Resident's language: xx"),  # unknown: shown as itself
    ],
)
def test_the_call_header_says_the_residents_language_and_what_to_write_in(language, ja, en):
    from sync.central.consult.words import all_words, language_line

    assert language_line(language) == (ja, en)
    words = all_words()
    if language != "xx":
        assert words["language_line"][language] == ja
        assert words["language_line_en"][language] == en


def test_accepting_tells_the_page_the_residents_language_and_center(db):
    got = relay_for(db, {"term-1": "東町センター"}).handle(
        "term-1", {"op": "open", "topic": "welfare", "language": "vi", "offer": OFFER}
    )
    r = _client(db, "tanaka").post(f"/api/accept/{got['consultation']}", json={})
    assert r.status_code == 200
    assert (r.json["language"], r.json["center"]) == ("vi", "東町センター")
