"""When printing goes wrong, the resident gets a clear error and the document is kept for a
staff reprint, never lost silently. Every fault is produced for real with cupsd: a disabled
queue, a printer that cannot be reached, a printer that takes part of a job then drops the
connection while reporting media-empty (as a printer out of paper does), cupsd not running, a
queue that does not exist, a document too large."""

import http.client
import socket
import struct
import subprocess
import threading

import pytest

from devices.printer import (
    CupsUnavailableError,
    DocumentTooLargeError,
    PaperOutError,
    Printer,
    PrinterConfig,
    PrinterOfflineError,
    QueueMissingError,
)
from devices.printer.documents import DocumentRenderer, sample_info
from madoguchi.rig import CupsRig


@pytest.fixture(scope="module")
def pdf():
    return DocumentRenderer().receipt(sample_info("receipt", "ja"))


def _printer(server, queue, **config):
    settings = {"offline_grace_s": 0.5, "job_timeout_s": 20, **config}
    return Printer(PrinterConfig(server=str(server), queues={"receipt": queue}, **settings))


def _ipp_attr(tag: int, name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return bytes([tag]) + struct.pack(">H", len(n)) + n + struct.pack(">H", len(v)) + v


def set_printer_state_reasons(cups_server, queue: str, reasons: list[str]) -> None:
    """CUPS-Add-Modify-Printer with printer-state-reasons, as a printer's status monitor (SNMP,
    IPP) reports them to cupsd. pycups has no call for it, so the IPP request is built here."""
    body = b"\x02\x00" + struct.pack(">HI", 0x4003, 1) + b"\x01"
    body += _ipp_attr(0x47, "attributes-charset", "utf-8")
    body += _ipp_attr(0x48, "attributes-natural-language", "en")
    body += _ipp_attr(0x45, "printer-uri", f"ipp://localhost/printers/{queue}")
    body += b"\x04"
    for i, reason in enumerate(reasons):
        body += _ipp_attr(0x44, "printer-state-reasons" if i == 0 else "", reason)
    body += b"\x03"
    conn = http.client.HTTPConnection("127.0.0.1", cups_server.port, timeout=10)
    try:
        conn.request("POST", "/admin/", body, {"Content-Type": "application/ipp"})
        reply = conn.getresponse().read()
    finally:
        conn.close()
    assert reply[2:4] == b"\x00\x00", f"IPP status {reply[2:4].hex()}"


class StallingPrinter:
    """A printer that takes the first `take` bytes of a job, then stops taking data (out of
    paper, it waits for a refill) until the sender gives up and closes the connection."""

    def __init__(self, take: int = 2000) -> None:
        self.take = take
        self.received: list[int] = []
        self._release = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.uri = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(30)
                got = 0
                try:
                    while got < self.take and (chunk := conn.recv(self.take - got)):
                        got += len(chunk)
                    self.received.append(got)
                except OSError:
                    pass
                # Stalled: read nothing more until the test is over (the rest of the job
                # sits in socket buffers, so the backend waits for the printer to finish).
                self._release.wait(30)

    def close(self) -> None:
        self._release.set()
        self._server.close()


def test_disabled_printer_refuses_and_keeps_the_document_for_staff(cups_server, capture_queue, pdf):
    queue, listener = capture_queue
    printer = _printer(cups_server.socket_path, queue)
    subprocess.run(["cupsdisable", "-h", cups_server.server, queue], check=True, timeout=30)
    assert printer.status("receipt").state == "stopped"
    assert not printer.status("receipt").ok
    with pytest.raises(PrinterOfflineError) as caught:
        printer.print_document("receipt", pdf, "receipt")
    assert "paused" in caught.value.reasons
    kept = printer.pending.get(caught.value.pending_id)
    assert kept.pdf == pdf and kept.role == "receipt"

    # A reprint while the printer is still disabled fails the same way and loses nothing.
    with pytest.raises(PrinterOfflineError) as again:
        printer.pending.reprint(caught.value.pending_id, printer, timeout=5)
    assert again.value.pending_id == caught.value.pending_id and len(printer.pending) == 1

    # Staff fix the printer and reprint: the very same bytes come out, the list empties.
    subprocess.run(["cupsenable", "-h", cups_server.server, queue], check=True, timeout=30)
    state = printer.pending.reprint(caught.value.pending_id, printer, timeout=20)
    assert state.ok
    assert listener.wait_for_jobs(1, timeout=30) == [pdf]
    assert len(printer.pending) == 0


def test_queue_rejecting_jobs_is_offline(cups_server, capture_queue, pdf):
    queue, _ = capture_queue
    printer = _printer(cups_server.socket_path, queue)
    subprocess.run(["cupsreject", "-h", cups_server.server, queue], check=True, timeout=30)
    with pytest.raises(PrinterOfflineError) as caught:
        printer.print_document("receipt", pdf, "receipt")
    assert caught.value.pending_id is not None


def test_unreachable_printer_stops_the_job_and_keeps_it(cups_server, capture_queue, pdf):
    queue, listener = capture_queue
    printer = _printer(cups_server.socket_path, queue)
    listener.pause()  # nothing listens at the printer's address: the backend cannot connect
    job = printer.print_document("receipt", pdf, "receipt")
    state = printer.wait(job, timeout=20)
    assert state.state == "stopped" and "offline" in state.reasons
    assert isinstance(state.error(), PrinterOfflineError)
    assert printer.pending.get(state.pending_id).pdf == pdf
    # The stuck job was canceled in cupsd: it will not print later in front of nobody.
    listener.resume()
    again = printer.wait(job, timeout=5, keep_on_failure=False)
    assert again.state == "canceled"
    assert listener.jobs == []


def test_paper_out_in_the_middle_of_a_job(cups_server, pdf):
    queue = "q_paper_out"
    device = StallingPrinter(take=min(2000, len(pdf) // 2))
    cups_server.add_queue(queue, device.uri)
    try:
        printer = _printer(cups_server.socket_path, queue)
        job = printer.print_document("receipt", pdf, "receipt")
        # The printer takes the start of the job, runs out of paper and says so.
        set_printer_state_reasons(cups_server, queue, ["media-empty-error"])
        state = printer.wait(job, timeout=20)
        assert device.received and device.received[0] < len(pdf)
        assert state.state == "stopped" and "media-empty" in state.reasons
        error = state.error()
        assert isinstance(error, PaperOutError) and error.pending_id == state.pending_id
        assert printer.pending.get(state.pending_id).pdf == pdf
        # While the printer still reports it, a new document is refused up front.
        assert "media-empty" in printer.status("receipt").reasons
        with pytest.raises(PaperOutError):
            printer.print_document("receipt", pdf, "receipt")
        assert len(printer.pending) == 2
    finally:
        cups_server.lpadmin("-x", queue)
        device.close()


def test_cupsd_not_running(tmp_path, pdf):
    with pytest.raises(CupsUnavailableError):
        _printer(tmp_path / "no-cupsd.sock", "receipt").print_document("receipt", pdf, "r")

    # A cupsd that was there and went away: the same clear error, and the document is kept.
    rig = CupsRig().start()
    try:
        rig.add_capture_queue("gone")
        printer = _printer(rig.socket_path, "gone")
        assert printer.status("receipt").ok
    finally:
        rig.stop()
    with pytest.raises(CupsUnavailableError) as caught:
        printer.print_document("receipt", pdf, "receipt")
    assert printer.pending.get(caught.value.pending_id).pdf == pdf
    with pytest.raises(CupsUnavailableError):
        printer.status("receipt")


def test_queue_that_does_not_exist(cups_server, pdf):
    printer = _printer(cups_server.socket_path, "no_such_queue")
    with pytest.raises(QueueMissingError):
        printer.status("receipt")
    with pytest.raises(QueueMissingError) as caught:
        printer.print_document("receipt", pdf, "receipt")
    assert caught.value.pending_id is not None
    with pytest.raises(QueueMissingError):
        printer.print_document("document", pdf, "no queue configured for this role")


@pytest.mark.parametrize("limit", [1, 1000])
def test_document_too_large_is_refused_before_sending(cups_server, capture_queue, pdf, limit):
    queue, listener = capture_queue
    printer = _printer(cups_server.socket_path, queue, max_document_bytes=limit)
    with pytest.raises(DocumentTooLargeError) as caught:
        printer.print_document("receipt", pdf, "receipt")
    assert caught.value.size == len(pdf) and caught.value.limit == limit
    assert caught.value.pending_id is None and len(printer.pending) == 0
    assert listener.jobs == []


def test_cupsd_dying_while_a_job_is_followed_keeps_the_document(pdf):
    rig = CupsRig().start()
    try:
        listener = rig.add_capture_queue("dying")
        listener.pause()  # the job cannot finish before cupsd goes away
        printer = _printer(rig.socket_path, "dying", offline_grace_s=30)
        job = printer.print_document("receipt", pdf, "receipt")
    finally:
        rig.stop()
    with pytest.raises(CupsUnavailableError) as caught:
        printer.wait(job, timeout=10)
    assert printer.pending.get(caught.value.pending_id).pdf == pdf
