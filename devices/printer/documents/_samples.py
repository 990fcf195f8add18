"""Sample documents of every kind (fictitious data) for the print test, the bench and tests.

The texts per language are what a resident of that language would see from the catalog; the
holder on the sample certificate is invented and includes 𠮷 (outside the BMP) on purpose.
"""

from __future__ import annotations

from datetime import date, datetime

from devices.printer.documents._kinds import (
    CertificateInfo,
    ChecklistInfo,
    ChecklistItem,
    ClaimSlipInfo,
    NoticeItem,
    NoticesInfo,
    PaymentItem,
    PaymentSlipInfo,
    ReceiptInfo,
    SlipInfo,
    TicketInfo,
)

# Catalog texts (procedures, life events, offices) come from the synced catalog in each
# language; these stand in for them.
_CATALOG = {
    "ja": ("転入届", "国民健康保険の加入", "引っ越し", "こども未来課", "市民課", "相談ブース2"),
    "ja-easy": (
        "てんにゅうとどけ",
        "こくみん けんこう ほけん",
        "ひっこし",
        "こども",
        "しみん",
        "そうだん 2",
    ),
    "en": (
        "Moving-in notification",
        "National Health Insurance",
        "Moving",
        "Child office",
        "Residents",
        "Booth 2",
    ),
    "zh-Hans": ("迁入登记", "加入国民健康保险", "搬家", "儿童课", "市民课", "咨询室2"),
    "ko": ("전입 신고", "국민건강보험 가입", "이사", "아동과", "시민과", "상담 부스 2"),
    "pt-BR": (
        "Declaração de mudança",
        "Seguro Nacional de Saúde",
        "Mudança",
        "Divisão infantil",
        "Cidadãos",
        "Cabine 2",
    ),
    "vi": (
        "Khai báo chuyển đến",
        "Tham gia Bảo hiểm Y tế Quốc dân",
        "Chuyển nhà",
        "Phòng Trẻ em",
        "Dân cư",
        "Phòng tư vấn 2",
    ),
}


def sample_info(kind: str, language: str, reference: str = "R-2026-000123", **extra):
    """A filled info dataclass of `kind` in `language`."""
    proc1, proc2, event, office, service, place = _CATALOG[language]
    common = {
        "language": language,
        "city_name": "豊橋市",
        "center_name": "二川地区市民館",
        "issued_at": datetime(2026, 11, 22, 9, 5),
    }
    common.update(extra)
    if kind == "receipt":
        return ReceiptInfo(**common, reference=reference, procedures=(proc1, proc2))
    if kind == "queue_ticket":
        return TicketInfo(**common, ticket_number="042", service=service, waiting=3)
    if kind == "consultation_slip":
        return SlipInfo(
            **common,
            reference=reference,
            topic="child-care",
            starts_at=datetime(2026, 11, 25, 14, 30),
            duration_min=30,
            place=place,
        )
    if kind == "checklist":
        # One item in each state a resident sees; the Japanese names sit beside translated ones.
        items = (
            ChecklistItem(proc1, "prefilled", office, name_ja="転入届", reference=reference),
            ChecklistItem(
                proc2,
                "here",
                name_ja="国民健康保険の加入",
                deadline=proc2,
                due=date(2026, 12, 4),
                documents=(proc1,),
            ),
            ChecklistItem(
                service, "office", office, deadline=event, documents=(place,), fee_yen=300
            ),
            ChecklistItem(event, "online"),
        )
        return ChecklistInfo(
            **common,
            life_event=event,
            items=items,
            reference=reference,
            event_date=date(2026, 11, 20),
            event_date_label=event,
        )
    if kind == "certificate":
        return CertificateInfo(
            **common,
            certificate_kind="residence",
            reference=reference,
            holder_name="𠮷田 花子",
            holder_address="豊橋市今橋町1番地",
            holder_birth_date=date(1990, 4, 1),
            issuer="豊橋市長 窓口 一郎",
            verification_code="K7QF-2M9X-40TB",
        )
    if kind == "claim_slip":
        return ClaimSlipInfo(**common, certificate_kind="tax", reference=reference)
    if kind == "payment_slip":
        item = PaymentItem(name=proc1, copies=2, fee_yen=600)
        return PaymentSlipInfo(
            **common, reference=reference, items=(item,), total_yen=600, method="counter",
            office=office,
        )  # fmt: skip
    if kind == "notices":
        items = (
            NoticeItem(kind="給水" if language.startswith("ja") else "Water", city=True,
                       text="給水車は14時から正面玄関前に来ます。" if language.startswith("ja")
                       else "The water truck comes to the main entrance at 14:00."),
        )  # fmt: skip
        return NoticesInfo(**common, items=items)
    raise ValueError(f"unknown document kind {kind!r}")
