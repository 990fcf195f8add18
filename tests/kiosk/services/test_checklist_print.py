"""The printed checklist tells the truth (issue 20), through the real parts: the session over
the simulated My Number card behind the test pcscd, the real sealed outbox and the test cupsd's
capture queue; the PDFs the printer received are read back with pdftotext.

Printed before anything was filed, no item says 済; after the resident filed 国民健康保険 加入
here, only that item says 済, with the reference number the outbox gave. Deadlines carry the
date counted from the event date the resident set, and documents are listed, in the event's
context (a newborn's 国保 needs no certificate of loss of other insurance)."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.card import CardReader
from devices.card.simulator import SimulatedCard
from devices.printer import Printer, PrinterConfig
from devices.printer.documents import DocumentRenderer
from kiosk.catalog import default_catalog
from kiosk.services import CardReaderAdapter, OutboxAdapter, PrinterAdapter
from kiosk.session import (
    ItemState,
    KioskSession,
    NoticeCode,
    PrintJob,
    SessionConfig,
    SessionPorts,
    Step,
)
from sync.outbox import Outbox, OutboxConfig

CENTRAL = X25519PrivateKey.generate()
NOW = datetime(2026, 12, 3, 10, 0).timestamp()


@pytest.fixture(scope="module")
def renderer():
    return DocumentRenderer().warm_up()


@pytest.fixture
def kiosk(pcsc, cups_server, capture_queue, renderer, tmp_path):
    queue, listener = capture_queue
    printer = Printer(
        PrinterConfig(
            server=str(cups_server.socket_path), queues={"receipt": queue, "document": queue}
        )
    )
    outbox = Outbox(
        OutboxConfig(tmp_path / "outbox.db", reserve_bytes=0), "C01", CENTRAL.public_key(), "s1"
    ).open()
    ports = SessionPorts(
        card=CardReaderAdapter(CardReader(pcsc.reader_name(0))),
        outbox=OutboxAdapter(outbox),
        printer=PrinterAdapter(printer, renderer, city_name="豊橋市", center_name="東部"),
    )
    session = KioskSession(
        default_catalog(), ports, SessionConfig(device_id="C01"), wall_clock=lambda: NOW
    )
    yield session, listener
    session.wipe()
    outbox.close()


def _text(pdf: bytes, tmp_path, name: str) -> str:
    """The PDF's text as pdftotext reads it, with line breaks and spaces removed (the 80 mm roll
    wraps long lines anywhere)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def _birth_checklist(session):
    assert session.choose_language("ja")
    assert session.open_life_events()
    assert session.choose_life_event("birth")
    assert session.answer("on_national_health_insurance", True)
    assert session.answer("single_parent", False)
    assert session.step is Step.CHECKLIST
    assert session.set_event_date("2026-12-01")


def _file_nhi_here(session, pcsc):
    assert session.choose_procedure("nhi_enroll")
    assert session.start_procedure()
    reader = pcsc.reader_name(0)
    with SimulatedCard("ordinary", port=pcsc.vpcd_port, reader_name=reader):
        session.card_inserted(reader)
        assert session.step is Step.PIN_ENTRY
        session.submit_pin("1234")
        assert session.step is Step.FORM_CONFIRM
        for name, value in [("name_kana", "ヤマダ ハナコ"), ("insured_count", "3"),
                            ("phone", "0532000000")]:  # fmt: skip
            assert session.correct_field(name, value), name
        assert session.confirm()
        assert session.step is Step.DONE, session.notice
    session.card_removed(reader)
    return session.reference


@pytest.mark.timeout(120)
def test_checklist_before_and_after_a_submission(kiosk, pcsc, tmp_path):
    session, listener = kiosk
    _birth_checklist(session)
    assert not any(i.state in (ItemState.DONE, ItemState.PREFILLED) for i in session.checklist)
    assert session.print_checklist()
    assert session.notice.code is NoticeCode.CHECKLIST_PRINTED
    [before_pdf] = listener.wait_for_jobs(1, timeout=30)
    before = _text(before_pdf, tmp_path, "before")

    assert "済" not in before  # nothing was filed yet: nothing may say so
    assert "本日ここで手続き済み" not in before
    # Deadlines in the birth's context, with the date counted from the given birth date.
    assert "期限：生まれた日を含めて14日以内（2026年12月14日まで）" in before  # 出生届
    assert "期限：生まれた日から14日以内（2026年12月15日まで）" in before  # 国保 for a newborn
    assert "期限：生まれた日の翌日から15日以内（2026年12月16日まで）" in before  # 児童手当
    assert "持ち物：出生証明書" in before and "母子健康手帳" in before
    assert "資格喪失証明書" not in before
    assert "センターの機械でできます" in before
    assert "窓口:市役所市民課窓口" in before  # 出生届 is filed at the counter
    assert "妊婦のための支援給付" in before and "出産・子育て応援給付" not in before

    reference = _file_nhi_here(session, pcsc)
    assert reference and reference.startswith("C01-")
    receipt = _text(listener.wait_for_jobs(2, timeout=30)[1], tmp_path, "receipt")
    assert reference in receipt
    assert "窓口に行く必要はありません" in receipt  # a kiosk procedure is complete

    assert session.return_to_checklist()
    assert session.step is Step.CHECKLIST
    done = [i for i in session.checklist if i.state is ItemState.DONE]
    assert [(i.procedure_id, i.reference) for i in done] == [("nhi_enroll", reference)]
    assert session.print_checklist()
    after = _text(listener.wait_for_jobs(3, timeout=30)[2], tmp_path, "after")

    assert after.count("済") == 1  # only the item filed here
    assert "済（センターの機械で受付" in after and f"受付番号{reference}" in after
    nhi = after.index("国民健康保険加入")
    assert after[nhi : after.index("済")] == "国民健康保険加入"  # right under that item's name
    # The other items keep their deadlines and documents.
    assert "期限：生まれた日を含めて14日以内（2026年12月14日まで）" in after
    assert "期限：生まれた日の翌日から15日以内（2026年12月16日まで）" in after
    assert "持ち物：出生証明書" in after
    # The done item no longer asks for anything.
    assert "期限：生まれた日から14日以内（2026年12月15日まで）" not in after


@pytest.mark.timeout(120)
def test_checklist_in_english_keeps_the_japanese_names_for_staff(kiosk, tmp_path):
    session, listener = kiosk
    assert session.choose_language("en")
    assert session.open_life_events()
    assert session.choose_life_event("moving_out")
    assert session.answer("on_national_health_insurance", True)
    assert session.answer("has_children_under_18", True)
    assert session.set_event_date("2026-12-20")
    assert session.print_checklist()
    [pdf] = listener.wait_for_jobs(1, timeout=30)
    text = _text(pdf, tmp_path, "en")
    assert "Moving-outnotification（転出届）" in text.replace(" ", "")
    assert "児童手当受給事由消滅届" in text
    assert "Deadline:Bythedayyoumove(by2026-12-20)" in text
    assert "Onlineathome" in text and "Scanthecodetodoitonline." in text
    assert "Done" not in text and "済" not in text


def test_prefill_receipt_says_where_to_go_by_when_and_what_to_bring(renderer, tmp_path):
    """The receipt of 転入届's pre-entry, rendered by the adapter as it would print."""
    adapter = PrinterAdapter(None, renderer, city_name="豊橋市", center_name="東部")
    job = PrintJob(
        kind="receipt",
        language="ja",
        data={
            "reference": "C01-000007-3",
            "title": "転入届",
            "completion": "prefill",
            "office": "市役所 市民課 窓口",
            "deadline": "引っ越した日から14日以内",
            "due": "2026-12-04",
            "documents": ["マイナンバーカード", "転出証明書"],
        },
    )
    role, pdf, _ = adapter.render(job)
    text = _text(pdf, tmp_path, "receipt")
    assert role == "receipt"
    assert "次にすること" in text and "行き先：市役所市民課窓口" in text
    assert "期限：引っ越した日から14日以内（2026年12月4日まで）" in text
    assert "持ち物：マイナンバーカード、転出証明書" in text
    assert "窓口に行く必要はありません" not in text


BAD_ITEMS = [
    ("done without a reference", {"where": "done"}),
    ("prefilled without a reference", {"where": "prefilled", "office": "市民課"}),
    ("prefill without a counter", {"where": "prefill"}),
    ("plain http url", {"where": "online", "url": "http://myna.go.jp/"}),
    ("negative fee", {"fee_yen": -300}),
    ("fee not whole yen", {"fee_yen": 1.5}),
    ("empty document", {"documents": ("マイナンバーカード", " ")}),
    ("too many documents", {"documents": ("x",) * 21}),
    ("deadline too long", {"deadline": "期" * 201}),
    ("unknown state", {"where": "done-ish"}),
]


@pytest.mark.parametrize("change", [c for _, c in BAD_ITEMS], ids=[n for n, _ in BAD_ITEMS])
def test_bad_checklist_items_are_refused(change):
    from devices.printer import DocumentDataError
    from devices.printer.documents import ChecklistItem

    with pytest.raises(DocumentDataError):
        ChecklistItem(**{"name": "国民健康保険 加入", "where": "here", **change})
