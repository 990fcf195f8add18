"""Job titles a current cupsd survives, on the kiosk's real printing path.

Debian 12's cups-daemon 2.4.2-3+deb12u10 dies with SIGSEGV on a job title that holds whitespace
(docs/printer.md). Every title reaches cupsd through `Printer.print_document`, which sends
`job_title(title)`; here the titles the kiosk's printer port really uses, and hostile ones, go to a
cupsd of this module's own, and after each one cupsd is still alive and the job completed.
"""

import ast
from pathlib import Path

import pytest

import kiosk.services._printer as kiosk_printing
from devices.printer import Printer, PrinterConfig, job_title
from devices.printer.documents import DocumentRenderer, sample_info
from madoguchi.rig import CupsRig


def _kiosk_titles() -> list[str]:
    """The third element of every `return (role, pdf, title)` in the kiosk's printer port."""
    tree = ast.parse(Path(kiosk_printing.__file__).read_text(encoding="utf-8"))
    titles = {
        node.value.elts[2].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Tuple)
        and len(node.value.elts) == 3
        and isinstance(node.value.elts[2], ast.Constant)
    }
    return sorted(titles)


KIOSK_TITLES = _kiosk_titles()
HOSTILE_TITLES = ["claim slip", "madoguchi print-test", "a\tb", "日本 語", " ", "", "x" * 300]


def test_the_kiosk_port_has_titles_to_check():
    assert {"receipt", "certificate", "checklist", "ticket"} <= set(KIOSK_TITLES)


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("receipt", "madoguchi-receipt"),
        ("claim slip", "madoguchi-claim-slip"),
        ("madoguchi print-test", "madoguchi-print-test"),
        ("a\tb", "madoguchi-a-b"),
        ("日本 語", "madoguchi-document"),
        ("", "madoguchi-document"),
        ("R-2026-000123", "madoguchi-R-2026-000123"),
    ],
)
def test_job_title_is_one_ascii_word(given, sent):
    assert job_title(given) == sent


def test_job_title_is_short_and_never_ends_in_a_separator():
    title = job_title("y" * 47 + " z")
    assert len(title) <= 48 and not title.endswith(("-", "."))


@pytest.fixture(scope="module")
def own_cupsd():
    """A cupsd for this module alone: if a title killed it, no other test would be hurt."""
    with CupsRig() as rig:
        listener = rig.add_capture_queue("titles")
        yield rig, listener


@pytest.mark.parametrize("title", KIOSK_TITLES + HOSTILE_TITLES)
def test_cupsd_survives_every_title(own_cupsd, title):
    rig, listener = own_cupsd
    before = len(listener.jobs)
    printer = Printer(PrinterConfig(server=str(rig.socket_path), queues={"receipt": "titles"}))
    pdf = DocumentRenderer().receipt(sample_info("receipt", "ja"))
    job = printer.print_document("receipt", pdf, title)
    state = printer.wait(job, timeout=30)
    assert state.ok, state
    assert listener.wait_for_jobs(before + 1, timeout=30)[-1] == pdf
    assert rig._process is not None and rig._process.running, "cupsd died"
    assert job.title == job_title(title) and not any(c.isspace() for c in job.title)
    assert printer.status("receipt").accepting
