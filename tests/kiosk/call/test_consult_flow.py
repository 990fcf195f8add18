"""The resident's consultation flow (kiosk.call.flow) as plain logic: the steps, the consent
tap, every end reason's words and offers, chat bounds, reconnect and wipe. The worker's side is
a small in-process port recording what the flow asked (the real worker is driven by
tests/kiosk/call/test_consult_flow_real.py)."""

from __future__ import annotations

import pytest

from kiosk.call.flow import END_REASONS, ConsultFlow, FlowError

pytestmark = pytest.mark.timeout(10)


class RecordingPort:
    def __init__(self) -> None:
        self.asked: list[tuple] = []
        self.closed = False

    def call(self, topic, language):
        self.asked.append(("call", topic, language))

    def chat(self, text):
        self.asked.append(("chat", text))

    def print_result(self, ok, reason=""):
        self.asked.append(("print_result", ok, reason))

    def mute(self, on):
        self.asked.append(("mute", on))

    def share(self, fields):
        self.asked.append(("share", fields))

    def hangup(self):
        self.asked.append(("hangup",))

    def close(self, timeout=10.0):
        self.closed = True
        return 0


@pytest.fixture
def flow():
    ports: list[RecordingPort] = []

    def open_port():
        ports.append(RecordingPort())
        return ports[-1]

    f = ConsultFlow(open_port, "vi")
    f.ports = ports
    return f


def _connected(flow):
    flow.choose_topic("tax")
    flow.start()
    for event in (
        {"event": "queued", "position": 2},
        {"event": "position", "position": 1, "estimate_s": 150},
        {"event": "answered", "role": "specialist", "name": "田中 (子育て支援課)"},
        {"event": "connected"},
    ):
        flow.on_event(event)


def test_nothing_starts_before_the_residents_tap(flow):
    assert flow.view()["step"] == "topic"
    flow.choose_topic("general")
    assert flow.view() == {"step": "consent", "topic": "general", "camera_on": False, "chat": []}
    assert flow.ports == []  # no worker, no camera, no request before the tap
    flow.start()
    assert flow.ports[0].asked == [("call", "general", "vi")]
    assert flow.view()["camera_on"] is True


def test_waiting_shows_position_and_an_estimate_only_when_known(flow):
    flow.choose_topic("tax")
    flow.start()
    flow.on_event({"event": "queued", "position": 3})
    assert (flow.view()["position"], flow.view()["estimate_min"]) == (3, None)
    flow.on_event({"event": "position", "position": 2, "estimate_s": 150})
    assert (flow.view()["position"], flow.view()["estimate_min"]) == (2, 2)


def test_the_call_shows_the_role_and_chat_both_ways(flow):
    _connected(flow)
    flow.on_event({"event": "chat", "text": "窓口は2階です"})
    flow.send_chat("  ありがとう  ")
    flow.send_chat("   ")
    view = flow.view()
    assert view["step"] == "in_call" and view["staff_role"] == "specialist"
    assert view["staff_name"] == "田中 (子育て支援課)"
    assert view["chat"] == [("staff", "窓口は2階です"), ("resident", "ありがとう")]
    assert flow.ports[0].asked[-1] == ("chat", "ありがとう")


def test_a_quick_reply_reaches_staff_in_japanese_and_shows_in_the_residents_words(flow):
    _connected(flow)
    flow.send_chat("はい（Yes）", "Yes")
    assert flow.ports[0].asked[-1] == ("chat", "はい（Yes）")
    assert flow.view()["chat"][-1] == ("resident", "Yes")


@pytest.mark.parametrize(("by", "reason"), sorted(END_REASONS.items()))
def test_every_end_says_why_and_offers_what_next(flow, by, reason):
    _connected(flow)
    flow.on_event({"event": "ended", "by": by})
    view = flow.view()
    assert view["step"] == "ended" and view["camera_on"] is False
    assert (view["reason"], view["offer_booking"], view["offer_reconnect"]) == reason


@pytest.mark.parametrize(("reason", "says"), [("no_staff", "No specialist"), ("hours", "outside")])
def test_city_halls_refusal_says_why_and_offers_a_booking(flow, reason, says):
    """City hall refuses `open` outside its hours (its own clock and signed hours) or with no
    specialist at a console: the resident reads which, and is offered a booking."""
    flow.choose_topic("care")
    flow.start()
    flow.on_event({"event": "ended", "by": "refused", "reason": reason})
    view = flow.view()
    assert says in view["reason"] and view["offer_booking"] and not view["offer_reconnect"]


@pytest.mark.parametrize("event", [{"event": "ended", "by": "martians"}, {"event": "exited"}])
def test_an_unknown_end_or_a_dead_worker_reads_as_a_lost_connection(flow, event):
    _connected(flow)
    flow.on_event(event)
    assert flow.view()["reason"] == END_REASONS["network"][0]


def test_handover_waits_again_in_the_new_topic(flow):
    _connected(flow)
    flow.on_event({"event": "handed_over", "topic": "care"})
    assert flow.view()["step"] == "handed_over" and flow.view()["topic"] == "care"
    flow.on_event({"event": "queued", "position": 1})
    assert flow.view()["step"] == "waiting"
    flow.on_event({"event": "connected"})
    assert flow.view()["step"] == "in_call" and flow.view()["staff_role"] == ""
    assert flow.view()["staff_name"] == ""  # the next one's name comes with their answer


def test_reconnect_only_after_a_dropped_link_with_a_new_worker(flow):
    _connected(flow)
    with pytest.raises(FlowError):
        flow.reconnect()
    flow.on_event({"event": "ended", "by": "network"})
    flow.reconnect()
    assert flow.ports[0].closed and flow.ports[1].asked == [("call", "tax", "vi")]
    assert flow.view()["step"] == "waiting"


def test_wipe_forgets_the_chat_and_stops_the_worker(flow):
    _connected(flow)
    flow.on_event({"event": "chat", "text": "電話番号は…"})
    flow.wipe()
    assert flow.ports[0].closed
    assert flow.view() == {"step": "topic", "topic": None, "camera_on": False, "chat": []}


@pytest.mark.parametrize(
    "action",
    [
        lambda f: f.start(),  # no topic chosen
        lambda f: f.choose_topic("astrology"),
        lambda f: (f.choose_topic("tax"), f.start(), f.choose_topic("care")),
    ],
)
def test_taps_out_of_order_are_refused(flow, action):
    with pytest.raises(FlowError):
        action(flow)


def test_chat_is_bounded(flow):
    _connected(flow)
    for i in range(80):
        flow.on_event({"event": "chat", "text": f"line {i}"})
    flow.send_chat("x" * 900)
    chat = flow.view()["chat"]
    assert len(chat) == 50 and chat[-1] == ("resident", "x" * 500)


def test_a_form_is_shown_only_on_tap_and_sharing_ends_with_the_call(flow):
    flow.choose_topic("tax")
    flow.start()
    with pytest.raises(FlowError):
        flow.show_form([("氏名", "山田")])  # not in a call yet
    for event in ({"event": "queued", "position": 1}, {"event": "connected"}):
        flow.on_event(event)
    assert "sharing" not in flow.view()
    flow.show_form([("転入日", "2026-12-01"), ("世帯人数", "3")])
    assert flow.view()["sharing"] is True
    assert flow.ports[0].asked[-1] == ("share", [("転入日", "2026-12-01"), ("世帯人数", "3")])
    flow.stop_showing()
    assert flow.ports[0].asked[-1] == ("share", None) and "sharing" not in flow.view()
    flow.show_form([("転入日", "2026-12-01")])
    flow.on_event({"event": "handed_over", "topic": "care"})
    assert "sharing" not in flow.view()  # the next staff member sees nothing until asked again
    for event in ({"event": "queued", "position": 1}, {"event": "connected"}):
        flow.on_event(event)
    flow.show_form([("転入日", "2026-12-01")])
    flow.on_event({"event": "ended", "by": "console"})
    assert "sharing" not in flow.view()


def test_mute_toggles_the_microphone_and_is_shown(flow):
    flow.toggle_mute()  # no call yet: nothing to mute
    assert flow.ports == []
    _connected(flow)
    assert flow.view()["muted"] is False
    flow.toggle_mute()
    assert flow.view()["muted"] is True and flow.ports[0].asked[-1] == ("mute", True)
    flow.toggle_mute()
    assert flow.view()["muted"] is False and flow.ports[0].asked[-1] == ("mute", False)


def test_the_kiosk_side_imports_no_media_and_no_kivy():
    """The UI process holds the port and the flow only: aiortc, numpy and av stay in the worker,
    and neither the port, the flow nor the worker imports Kivy."""
    import subprocess
    import sys

    code = (
        "import sys, kiosk.call, kiosk.call.flow, kiosk.call.port, kiosk.call.worker\n"
        "bad = sorted(m for m in ('aiortc', 'numpy', 'av', 'kivy') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_a_document_from_the_staff_becomes_a_checklist_job_for_the_session(flow):
    _connected(flow)
    data = {
        "title": "児童手当",
        "items": [
            {"name": "認定請求", "where": "office", "office": "2階", "documents": [], "url": ""}
        ],
    }
    flow.on_event({"event": "print", "kind": "checklist", "data": data})
    assert flow.view()["print_pending"] == 1
    (job,) = flow.take_print_jobs()
    assert (job.kind, job.language, job.data) == ("checklist", "vi", data)
    assert "print_pending" not in flow.view() and flow.take_print_jobs() == []
    flow.printed(False, "media-empty")
    assert flow.ports[0].asked[-1] == ("print_result", False, "media-empty")


_ITEM = {"name": "認定請求", "office": "こども未来課"}


@pytest.mark.parametrize(
    ("message", "ok"),
    [
        ({"title": "t", "items": [_ITEM]}, True),
        ({"title": "t", "items": [{**_ITEM, "url": "https://city.example/a"}]}, True),
        ({"title": "t", "items": [{**_ITEM, "documents": ["保険証"] * 10}]}, True),
        ({"title": "", "items": [_ITEM]}, False),
        ({"title": "t" * 81, "items": [_ITEM]}, False),
        ({"title": "t", "items": []}, False),
        ({"title": "t", "items": [_ITEM] * 21}, False),
        ({"title": "t", "items": [{"name": " ", "office": "x"}]}, False),
        ({"title": "t", "items": [{**_ITEM, "url": "http://city.example"}]}, False),
        ({"title": "t", "items": [{**_ITEM, "url": "javascript:alert(1)"}]}, False),
        ({"title": "t", "items": [{**_ITEM, "documents": ["x"] * 11}]}, False),
        ({"title": "t", "items": [{**_ITEM, "documents": [5]}]}, False),
        ({"title": "t", "items": ["認定請求"]}, False),
        ({"title": 5, "items": [_ITEM]}, False),
    ],
)
def test_only_bounded_plain_checklists_are_accepted_from_the_staff(message, ok):
    from kiosk.call.documents import checklist_from_staff

    got = checklist_from_staff(message)
    assert (got is not None) == ok
    if ok:
        assert got["title"] == "t" and got["items"][0]["name"] == "認定請求"
