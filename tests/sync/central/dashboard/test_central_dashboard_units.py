"""The dashboard's pure parts, table-driven: the token check, the listen policy, query
validation, and the arithmetic (mean, NPS-style share, suppression, percentiles)."""

from __future__ import annotations

import base64

import pytest

from sync.central.dashboard.aggregate import (
    ScoreGroup,
    identifier,
    parse_body,
    percentile,
    sessions_and_steps,
    summarize_scores,
)
from sync.central.dashboard.auth import authorized, check_listen_policy, check_token, is_loopback
from sync.central.dashboard.errors import BadQueryError, DashboardConfigError
from sync.central.dashboard.params import SATISFACTION_WINDOWS, SHELTER_WINDOWS, parse_window
from sync.central.dashboard.server import Listen, parse_listen

TOKEN = "0123456789abcdef-token"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header, ok",
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (f"Bearer  {TOKEN} ", True),
        (_basic("staff", TOKEN), True),
        (_basic("", TOKEN), True),
        (None, False),
        ("", False),
        ("Bearer", False),
        ("Bearer ", False),
        (f"Bearer {TOKEN}x", False),
        (f"Bearer {TOKEN[:-1]}", False),
        (f"Token {TOKEN}", False),
        (_basic(TOKEN, "wrong"), False),  # the token as user name is not the password
        ("Basic " + base64.b64encode(TOKEN.encode()).decode(), False),  # no colon
        ("Basic %%%notbase64", False),
        ("Basic " + base64.b64encode(b"staff:\xff\xfe").decode(), False),
        ("Bearer " + "x" * 10_000, False),
    ],
)
def test_authorized(header, ok):
    assert authorized(header, TOKEN) is ok


def test_without_a_token_every_request_is_admitted():
    assert authorized(None, None) and authorized("Bearer anything", None)


@pytest.mark.parametrize(
    "token, result",
    [(None, None), ("", None), (TOKEN, TOKEN), ("x" * 16, "x" * 16)],
)
def test_check_token(token, result):
    assert check_token(token, "T") == result


@pytest.mark.parametrize("token", ["a", "x" * 15])
def test_short_token_refused(token):
    with pytest.raises(DashboardConfigError, match="at least 16"):
        check_token(token, "T")


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("10.0.0.1", False),
        ("localhost.example.org", False),
        ("dashboard", False),
    ],
)
def test_listen_policy(host, loopback):
    assert is_loopback(host) is loopback
    check_listen_policy(host, TOKEN, "T")  # with a token, any address
    if loopback:
        check_listen_policy(host, None, "T")
    else:
        with pytest.raises(DashboardConfigError, match="refusing to listen"):
            check_listen_policy(host, None, "T")


@pytest.mark.parametrize(
    "text, listen",
    [
        ("127.0.0.1:8600", Listen("127.0.0.1", 8600)),
        ("[::1]:0", Listen("::1", 0)),
        ("localhost:80", Listen("localhost", 80)),
        ("systemd", None),
    ],
)
def test_parse_listen(text, listen):
    assert parse_listen(text) == listen


@pytest.mark.parametrize(
    "text", ["", "8600", "127.0.0.1", "127.0.0.1:", ":8600", "1.2.3.4:65536", "a b:1", "[::1"]
)
def test_parse_listen_refuses(text):
    with pytest.raises(DashboardConfigError):
        parse_listen(text)


def _window(query: str, windows=SATISFACTION_WINDOWS, default="30d"):
    from urllib.parse import parse_qsl

    pairs = parse_qsl(query, keep_blank_values=True)
    return parse_window(query.encode(), pairs, windows, default)


@pytest.mark.parametrize(
    "query, name, seconds",
    [("", "30d", 30 * 86400), ("window=7d", "7d", 7 * 86400), ("window=90d", "90d", 90 * 86400)],
)
def test_windows(query, name, seconds):
    window = _window(query)
    assert (window.name, window.seconds) == (name, seconds)


def test_shelter_windows():
    assert _window("window=72h", SHELTER_WINDOWS, "24h").seconds == 72 * 3600
    assert _window("", SHELTER_WINDOWS, "24h").name == "24h"


@pytest.mark.parametrize(
    "query, message",
    [
        ("window=1d", "window must be one of 7d, 30d, 90d"),
        ("window=", "window must be one of"),
        ("window=7D", "window must be one of"),
        ("window=7d&window=7d", "more than once"),
        ("windows=7d", "unknown query parameter 'windows'"),
        ("<b>=1", "unknown query parameter (accepted: window)"),
        ("window=7d&" + "x" * 600, "too long"),
    ],
)
def test_bad_windows(query, message):
    with pytest.raises(BadQueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _window(query)


def _group(*scores, reasons=()):
    group = ScoreGroup()
    for score in scores:
        group.add(score, reasons)
    return group


@pytest.mark.parametrize(
    "scores, mean, nps, split",
    [
        ((10, 9, 3), 7.33, 33.3, (2, 0, 1)),
        ((10, 10, 10), 10.0, 100.0, (3, 0, 0)),
        ((0, 6, 6), 4.0, -100.0, (0, 0, 3)),
        ((7, 8, 7, 8), 7.5, 0.0, (0, 4, 0)),
        ((9, 6, 8), 7.67, 0.0, (1, 1, 1)),
    ],
)
def test_summarize_scores(scores, mean, nps, split):
    summary = summarize_scores(_group(*scores), min_cell=3)
    assert (summary["mean"], summary["nps"]) == (mean, nps)
    assert (summary["promoters"], summary["passives"], summary["detractors"]) == split
    assert summary["responses"] == len(scores) and not summary["suppressed"]


def test_small_groups_show_their_count_only():
    assert summarize_scores(_group(10, 2, reasons=["ease"]), min_cell=3) == {
        "responses": 2,
        "suppressed": True,
    }
    assert summarize_scores(_group(), min_cell=3) == {"responses": 0, "suppressed": False}
    assert summarize_scores(_group(4), min_cell=1)["mean"] == 4.0


@pytest.mark.parametrize(
    "values, p, expected",
    [
        ([5], 50, 5.0),
        ([5], 90, 5.0),
        ([1, 2], 50, 1.5),
        ([1, 2, 3], 50, 2.0),
        ([1, 2, 3], 90, 3.0),
        (list(range(1, 11)), 90, 9.0),
        (list(range(1, 101)), 90, 90.0),
        (list(range(1, 12)), 90, 10.0),
    ],
)
def test_percentile(values, p, expected):
    assert percentile(values, p) == expected


@pytest.mark.parametrize(
    "value, ok",
    [
        ("moving_in", True),
        ("resident_record", True),
        ("pin_entry", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("two words", False),
        ("山田", False),
        ("<script>", False),
        ("", False),
        (None, False),
        (7, False),
        (["x"], False),
    ],
)
def test_identifier(value, ok):
    assert (identifier(value) is not None) is ok


@pytest.mark.parametrize(
    "text, ok",
    [
        ('{"score": 1}', True),
        ('{"score": NaN}', False),
        ('{"score": Infinity}', False),
        ("[1, 2]", False),
        ("not json", False),
        ("[" * 100_000, False),
        (None, False),
        (b'{"a": 1}', True),
    ],
)
def test_parse_body(text, ok):
    assert (parse_body(text) is not None) is ok


def test_step_timings_add_a_repeated_step_and_skip_bad_sessions():
    rows = [
        (
            "d1",
            '{"service": "procedure", "procedure": "p", "outcome": "done", '
            '"steps": [["pin_entry", 1000], ["form_confirm", 5000], ["pin_entry", 500]]}',
        ),
        ("d1", '{"service": "procedure", "steps": [["pin_entry", 3000]]}'),
        ("d2", '{"service": "procedure", "steps": [["pin_entry", "3000"]]}'),
        ("d2", '{"steps": [["pin_entry", 3000]]}'),
    ]
    result = sessions_and_steps(rows, {"d1": "北"})
    assert result["invalid"] == 2
    assert result["sessions_by_center"] == [{"center": "北", "sessions": 2}]
    steps = {s["step"]: s for s in result["steps"]}
    assert (steps["pin_entry"]["sessions"], steps["pin_entry"]["median_ms"]) == (2, 2250)
    assert [s["step"] for s in result["steps"]] == ["pin_entry", "form_confirm"]
    assert {(s["procedure"], s["total"]) for s in result["sessions"]} == {("p", 1), ("-", 1)}
