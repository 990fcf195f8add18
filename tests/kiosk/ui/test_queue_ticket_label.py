"""One queue ticket label everywhere: the kiosk screen, the printed ticket (its PDF text), the voice
guidance and the call. With the center's queue (a real queue host on loopback) the call is the
calling display's board (`/api/board`); without one (the terminal's LocalState counters) it is
the staff menu's "Now calling"."""

from __future__ import annotations

import pytest

from tests.support.center import client, running_host, terminal_queue
from tests.support.kiosk_driver import pdf_text
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(120)

TAKE_JA = "番号札をお取りください。呼び出しの画面にこの番号が出たら、窓口へお越しください。"


def _take(ui, service: str | None = None) -> tuple[str, str]:
    """Tap 番号札 (and, on the center's queue, the service); return the label on screen and the
    printed ticket's text."""
    ui.tap("queue")
    if service is not None:
        assert ui.step == "queue_service"
        ui.tap(f"service_{service}")
    assert ui.step == "queue_ticket"
    [pdf] = ui.listener.wait_for_jobs(1, timeout=30)
    return ui.text("ticket_number"), pdf_text(pdf)


def _screen(ui):
    return next(s for s in ui.root.cached_screens if s.name == "queue_ticket")


def test_local_queue_label_on_screen_ticket_voice_and_staff_call(kiosk_ui):
    ui = kiosk_ui
    label, printed = _take(ui)
    assert label == "A-001"
    assert label in printed  # the printed ticket's big number
    assert "呼び出しの画面にこの番号が出たら、窓口へお越しください。" in printed
    assert ui.text("take_ticket") == TAKE_JA
    assert _screen(ui).guidance() == f"あなたの番号は {label} です。{TAKE_JA}"
    assert "101" not in printed and ui.session.ticket.number == label
    ui.tap("next")
    ui.tap("skip")
    ui.enter_staff()
    ui.tap("call_next")
    assert ui.session.called_ticket == label
    assert f"呼び出し中：{label}番" in ui.text("staff_queue")


def test_center_queue_label_on_screen_ticket_and_calling_display(kiosk_ui, tmp_path):
    ui = kiosk_ui
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "C01")
    with running_host(tmp_path, hkit.outbox) as (host, server):
        ui.session.ports.queue = terminal_queue(tmp_path, server, kit)
        label, printed = _take(ui, "procedure")
        assert label == "A-001"
        assert label in printed
        assert ui.text("take_ticket") == TAKE_JA
        assert label in _screen(ui).guidance()
        # Staff call it at counter 1 on the host; the display shows what /api/board says.
        called = host.queue.call_next("1")
        assert called is not None and called.label == label
        board = client(server).call("GET", "/api/board")
        assert [t["label"] for t in board["calling"]] == [label]
