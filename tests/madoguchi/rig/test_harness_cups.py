"""The cupsd rig is real: pycups prints a PDF through our own cupsd, and the capture listener
behind the queue's socket:// device receives exactly the bytes we sent."""

import cups
from fpdf import FPDF


def _pdf(tmp_path):
    doc = FPDF(format=(80, 100))
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="Madoguchi harness test")
    path = tmp_path / "test.pdf"
    doc.output(str(path))
    return path


def test_pycups_print_reaches_capture_listener_byte_for_byte(cups_server, capture_queue, tmp_path):
    queue, listener = capture_queue
    cups.setServer(str(cups_server.socket_path))
    conn = cups.Connection()
    assert queue in conn.getPrinters()
    pdf = _pdf(tmp_path)
    job_id = conn.printFile(queue, str(pdf), "harness", {})
    assert job_id > 0
    jobs = listener.wait_for_jobs(1, timeout=30)
    assert jobs[0] == pdf.read_bytes()


def test_rig_does_not_touch_system_printers(cups_server):
    conf = (cups_server.root / "etc/cupsd.conf").read_text()
    assert f"Listen 127.0.0.1:{cups_server.port}" in conf
    assert "0.0.0.0" not in conf and "Port " not in conf
