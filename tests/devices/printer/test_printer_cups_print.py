"""Printing through a real cupsd: the capture listener behind the queue receives exactly the PDF
we rendered; status, wait, cancel and the session reprint work through pycups."""

import pytest

from devices.printer import (
    Printer,
    PrinterConfig,
    SessionPrints,
    normalise_reasons,
)
from devices.printer.documents import DocumentRenderer, sample_info


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


def _printer(cups_server, queue, **config):
    return Printer(
        PrinterConfig(
            server=str(cups_server.socket_path),
            queues={"receipt": queue, "document": queue},
            **config,
        )
    )


def test_receipt_bytes_reach_the_printer_unchanged(cups_server, capture_queue, renderer):
    queue, listener = capture_queue
    printer = _printer(cups_server, queue)
    pdf = renderer.receipt(sample_info("receipt", "ja"))
    job = printer.print_document("receipt", pdf, "receipt")
    assert job.job_id > 0 and job.queue == queue
    state = printer.wait(job, timeout=30)
    assert state.ok and state.state == "completed" and state.error() is None
    assert listener.wait_for_jobs(1, timeout=30)[0] == pdf
    assert len(printer.pending) == 0


def test_server_as_host_port_works_too(cups_server, capture_queue, renderer):
    queue, listener = capture_queue
    printer = Printer(PrinterConfig(server=cups_server.server, queues={"document": queue}))
    pdf = renderer.certificate(sample_info("certificate", "en"))
    state = printer.print_and_wait("document", pdf, "certificate", timeout=30)
    assert state.ok
    assert listener.wait_for_jobs(1, timeout=30)[0] == pdf


def test_status_of_a_healthy_queue(cups_server, capture_queue):
    queue, _ = capture_queue
    status = _printer(cups_server, queue).status("receipt")
    assert status.ok and status.accepting
    assert status.state in ("idle", "processing")
    assert status.queue == queue and status.reasons == ()


def test_cancel_a_job_held_by_cupsd(cups_server, capture_queue, renderer):
    queue, listener = capture_queue
    printer = _printer(cups_server, queue)
    listener.pause()  # the printer cannot take it, so the job stays in cupsd
    try:
        job = printer.print_document("receipt", renderer.receipt(sample_info("receipt", "en")), "r")
        printer.cancel(job)
        state = printer.wait(job, timeout=10, keep_on_failure=False)
        assert state.state == "canceled" and state.pending_id is None
        printer.cancel(job)  # canceling a finished job is harmless
    finally:
        listener.resume()


def test_session_reprint_and_wipe(cups_server, capture_queue, renderer):
    queue, listener = capture_queue
    printer = _printer(cups_server, queue)
    session = SessionPrints()
    pdf = renderer.queue_ticket(sample_info("queue_ticket", "vi"))
    session.remember("receipt", pdf, "ticket")
    printer.wait(printer.print_document("receipt", pdf, "ticket"), timeout=30)
    printer.wait(session.reprint_last(printer), timeout=30)
    assert listener.wait_for_jobs(2, timeout=30) == [pdf, pdf]
    session.wipe()
    assert session.last() is None and len(session) == 0
    with pytest.raises(LookupError):
        session.reprint_last(printer)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["none"], ()),
        ("media-empty-error", ("media-empty",)),
        (["media-needed-warning", "cover-open-report"], ("media-empty", "cover-open")),
        (
            ["door-open-error", "media-jam-error", "offline-report"],
            ("cover-open", "media-jam", "offline"),
        ),
        (["media-low-warning", "media-low-report"], ("media-low",)),
        (None, ()),
    ],
)
def test_printer_state_reasons_are_normalised(raw, expected):
    assert normalise_reasons(raw) == expected
