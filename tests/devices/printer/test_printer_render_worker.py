"""The render worker: documents rendered in a child process, as the kiosk prints them.

Real worker processes over real pipes: same text as rendering in process, the worker's own
validation of hostile frames, a crashed worker restarted once, a hung one killed on timeout,
a worker that cannot start reported as the printer failing (never a crash), and the UI side
never loading the PDF stack.
"""

import io
import os
import signal
import subprocess
import sys
import time

import pytest
from pypdf import PdfReader

from devices.printer.documents import (
    KINDS,
    DocumentRenderer,
    RemoteRenderer,
    RendererUnavailableError,
    _wire,
    sample_info,
)
from devices.printer.errors import DocumentDataError, PrinterError

HOLDER = "𠮷田 花子"  # the sample certificate's holder (fictitious)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _assert_gone(pid: int) -> None:
    """The process ends (killed or exited, and reaped) within 5 s."""
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)


@pytest.fixture(scope="module")
def remote():
    with RemoteRenderer(labels=False) as r:
        yield r


@pytest.fixture(scope="module")
def local():
    return DocumentRenderer().warm_up()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["ja", "en", "vi"])
def test_worker_renders_what_the_process_renders(remote, local, kind, language):
    info = sample_info(kind, language)
    got = remote.render(kind, info)
    assert got.startswith(b"%PDF-")
    assert _text(got) == _text(local.render(kind, info))


def test_checklist_paper_option_crosses_the_pipe(remote):
    a4 = remote.checklist(sample_info("checklist", "ja"), paper="A4")
    width_pt = float(PdfReader(io.BytesIO(a4)).pages[0].mediabox.width)
    assert abs(width_pt - 595.3) < 1.0  # A4, not the 80 mm roll
    with pytest.raises(DocumentDataError):
        remote.checklist(sample_info("checklist", "ja"), paper="A3")


def test_wrong_info_type_is_refused_before_sending(remote):
    with pytest.raises(DocumentDataError):
        remote.render("receipt", sample_info("queue_ticket", "ja"))
    with pytest.raises(DocumentDataError):
        remote.render("letter", sample_info("receipt", "ja"))


def test_wire_round_trip_keeps_every_field():
    for kind in KINDS:
        info = sample_info(kind, "ko")
        assert _wire.decode_request(_wire.encode_request(kind, info, {})) == (kind, info, {})


HOSTILE = [
    b"\xff\xfe not json",
    b"[]",
    b'{"kind": "receipt", "info": {}}',
    b'{"kind": "receipt", "info": {}, "options": {}}',
    b'{"kind": "__class__", "info": {}, "options": {}}',
    # the right shape with wrong types / unknown fields / a value the info itself refuses
    b'{"kind":"receipt","info":{"language":"ja","city_name":"x","center_name":"y",'
    b'"issued_at":12,"reference":"R","procedures":["a"]},"options":{}}',
    b'{"kind":"receipt","info":{"language":"ja","city_name":"x","center_name":"y",'
    b'"issued_at":"2026-11-22T10:00:00","reference":"R","procedures":["a"],"evil":1},'
    b'"options":{}}',
    b'{"kind":"receipt","info":{"language":"xx","city_name":"x","center_name":"y",'
    b'"issued_at":"2026-11-22T10:00:00","reference":"R","procedures":["a"]},"options":{}}',
    b'{"kind":"checklist","info":{"language":"ja","city_name":"x","center_name":"y",'
    b'"issued_at":"2026-11-22T10:00:00","life_event":"e","items":[{"name":"n","where":"here",'
    b'"office":""}]},"options":{"paper":7}}',
]


def test_worker_answers_hostile_frames_with_data_errors_and_keeps_serving():
    proc = subprocess.Popen(
        [sys.executable, "-m", "devices.printer.documents.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        fd_in, fd_out = proc.stdin.fileno(), proc.stdout.fileno()
        for frame in HOSTILE:
            _wire.write_frame(fd_in, frame)
            reply = _wire.read_frame(fd_out, _wire.MAX_REPLY)
            assert reply[0] == _wire.DATA_ERROR, frame
        # still serving: a good request after all of that
        good = _wire.encode_request("receipt", sample_info("receipt", "ja"), {})
        _wire.write_frame(fd_in, good)
        reply = _wire.read_frame(fd_out, _wire.MAX_REPLY)
        assert reply[0] == _wire.OK and reply[1:].startswith(b"%PDF-")
        # an oversized frame header: the worker stops reading and exits (cleanly)
        os.write(fd_in, (_wire.MAX_REQUEST + 1).to_bytes(4, "big"))
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_a_killed_worker_is_restarted_and_the_document_still_renders():
    with RemoteRenderer(labels=False) as r:
        first = r.pid
        r.receipt(sample_info("receipt", "ja"))
        os.kill(first, signal.SIGKILL)
        pdf = r.receipt(sample_info("receipt", "en"))
        assert pdf.startswith(b"%PDF-")
        assert r.restarts == 1 and r.pid != first


def test_a_hung_worker_is_killed_on_timeout_and_the_next_document_works():
    with RemoteRenderer(labels=False, timeout_s=60.0) as r:
        # Warm with a long deadline (start-up and fonts take seconds on a loaded machine), then
        # the short one the hung worker must run into.
        r.receipt(sample_info("receipt", "ja"))
        r.timeout_s = 3.0
        hung = r.pid
        os.kill(hung, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(RendererUnavailableError) as e:
            r.receipt(sample_info("receipt", "ja"))
        assert time.monotonic() - t0 < 30
        assert e.value.reasons == ("renderer-unavailable",)
        assert isinstance(e.value, PrinterError)  # the kiosk tells the resident: printer failed
        _assert_gone(hung)  # killed, and reaped
        r.timeout_s = 60.0
        assert r.receipt(sample_info("receipt", "en")).startswith(b"%PDF-")


def test_a_worker_that_cannot_run_is_reported_not_raised_raw(tmp_path):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    r = RemoteRenderer(labels=False, python=str(broken))
    try:
        with pytest.raises(RendererUnavailableError):
            r.receipt(sample_info("receipt", "ja"))
    finally:
        r.close()


def test_the_worker_logs_no_holder_data(capfd):
    with RemoteRenderer(labels=False) as r:
        pdf = r.certificate(sample_info("certificate", "ja"))
        assert HOLDER.split()[0] in _text(pdf)
        worker = r.pid
    out, err = capfd.readouterr()
    assert HOLDER.split()[0] not in out + err
    assert HOLDER.split()[1] not in out + err
    _assert_gone(worker)  # closed: no worker left behind


def test_printing_side_never_imports_the_pdf_stack():
    code = (
        "import sys\n"
        "from devices.printer.documents import RemoteRenderer, ReceiptInfo\n"
        "from devices.printer.documents import sample_info\n"
        "import kiosk.services\n"
        "with RemoteRenderer(labels=False) as r:\n"
        "    assert r.receipt(sample_info('receipt', 'ja')).startswith(b'%PDF-')\n"
        "heavy = sorted(m for m in ('fpdf', 'fontTools', 'segno') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "none"


def test_the_kiosk_services_render_in_a_worker_and_stop_it_on_close(tmp_path):
    from devices.printer import Printer, PrinterConfig
    from kiosk.services import KioskServices
    from kiosk.session.ports import PrintJob

    services = KioskServices(
        card_reader=None,
        outbox=None,
        printer=Printer(PrinterConfig(server=str(tmp_path / "no-cupsd"))),
        city_name="豊橋市",
        center_name="東部地域センター",
    )
    printer = services.ports().printer
    assert isinstance(services.renderer, RemoteRenderer)
    worker = services.renderer.pid
    assert worker is not None
    job = PrintJob(kind="receipt", language="ja", data={"reference": "R-1", "title": "転入届"})
    role, pdf, _title = printer.render(job)
    assert role == "receipt" and "R-1" in _text(pdf)
    services.close()
    _assert_gone(worker)


def test_the_worker_exits_when_the_kiosk_dies():
    """SIGKILL of the process that started it closes the pipe: no orphan keeps the font."""
    code = (
        "import os, sys\n"
        "from devices.printer.documents import RemoteRenderer\n"
        "from devices.printer.documents import sample_info\n"
        "r = RemoteRenderer(labels=False).start()\n"
        "r.receipt(sample_info('receipt', 'ja'))\n"
        "print(r.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == -signal.SIGKILL
    worker = int(out.stdout.strip())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        try:  # reaped by init in a container without a subreaper; check its state instead
            with open(f"/proc/{worker}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return
        except FileNotFoundError:
            return
        time.sleep(0.1)
    raise AssertionError(f"render worker {worker} still running after its kiosk died")
