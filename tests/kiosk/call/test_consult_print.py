"""印刷して渡す with real parts: in a call (`CallRig`), the specialist sends a short checklist
from the console page; the terminal's flow receives it as a checklist print job, the kiosk's
real printer path (PrinterAdapter → DocumentRenderer → the tests' own cupsd) prints it, and the
specialist's page says it printed. A document the worker does not accept is refused back to the
page and nothing prints."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from devices.printer import Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.call.flow import ConsultFlow
from kiosk.services import PrinterAdapter
from madoguchi.rig.call import CallRig

pytestmark = [
    pytest.mark.timeout(170),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium missing"),
]
pytest.importorskip("aiortc", reason="the call worker needs the 'call' extra (aiortc)")
pytest.importorskip("playwright", reason="the console is driven by playwright (test extra)")

PASSWORD = "correct horse battery"


def _pump(flow, port, seen, predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        for event in port.events[seen[0] :]:
            seen[0] += 1
            flow.on_event(event)
        if predicate(flow.view()):
            return flow.view()
        assert time.monotonic() < deadline, f"flow stuck at {flow.view()['step']}"
        time.sleep(0.05)


def test_the_specialist_sends_a_checklist_that_prints_at_the_terminal(
    tmp_path, cups_server, capture_queue
):
    from pypdf import PdfReader

    queue, listener = capture_queue
    printer = PrinterAdapter(
        Printer(
            PrinterConfig(
                server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
            )
        ),
        DocumentRenderer().warm_up(),
        city_name="豊橋市",
        center_name="東部地域センター",
    )
    with CallRig(tmp_path) as rig:
        rig.add_staff("tanaka", PASSWORD, "specialist")
        ports, seen = [], [0]

        def open_port():
            ports.append(rig.call_port())
            return ports[-1]

        flow = ConsultFlow(open_port, "ja")
        flow.choose_topic("child_care")
        flow.start()
        console = rig.console_page("tanaka", PASSWORD)
        console.wait_for_selector("#queue tbody tr button.accept")
        console.click("#queue tbody tr button.accept")
        _pump(flow, ports[0], seen, lambda v: v["step"] == "in_call")
        console.wait_for_function(
            "() => window.consult.dc && window.consult.dc.readyState === 'open'"
        )

        # A document the worker does not accept: refused back, nothing to print.
        console.fill("#print-title", "児童手当")
        console.fill("#print-items", "| こども未来課")  # an item without a name
        console.click("#print-send")
        console.wait_for_function("() => window.consult.printResults.length === 1")
        assert console.evaluate("() => window.consult.printResults[0]") == {
            "type": "print_result",
            "ok": False,
            "reason": "bad_document",
        }
        assert "print_pending" not in flow.view()

        console.fill("#print-title", "児童手当の申請")
        console.fill(
            "#print-items",
            "児童手当 認定請求 | こども未来課 2階 | 健康保険証, 通帳\n"
            "保育園の申込み | https://www.city.example/hoiku |",
        )
        console.click("#print-send")
        _pump(flow, ports[0], seen, lambda v: v.get("print_pending") == 1)
        (job,) = flow.take_print_jobs()
        assert (job.kind, job.language, job.data["title"]) == ("checklist", "ja", "児童手当の申請")
        assert [i["where"] for i in job.data["items"]] == ["office", "online"]
        printer.print_job(job)  # the kiosk's printer path (the session does this on its worker)
        (pdf,) = listener.wait_for_jobs(1, timeout=60)
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert "児童手当の申請" in text and "こども未来課" in text
        flow.printed(True)
        console.wait_for_function("() => window.consult.printResults.length === 2")
        assert console.evaluate("() => window.consult.printResults[1].ok") is True
        assert "Printed at the terminal" in console.inner_text("#print-status")
        flow.hang_up()
        _pump(flow, ports[0], seen, lambda v: v["step"] == "ended")
