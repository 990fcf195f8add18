"""The reprint holders: a session's prints are gone after wipe(); pending prints stay until a
reprint completes or staff discard them, within a memory budget; nothing touches the disk."""

import threading

import pytest

from devices.printer import HeldDocument, PendingPrints, SessionPrints


def test_session_keeps_the_last_few_and_wipes_everything():
    session = SessionPrints(keep=2)
    for i in range(3):
        session.remember("receipt", b"%PDF-" + bytes([i]), f"doc{i}")
    assert len(session) == 2
    assert session.last().title == "doc2"
    assert session.last("document") is None
    session.remember("document", b"%PDF-A4", "a4")
    assert session.last("receipt").title == "doc2"
    session.wipe()
    assert len(session) == 0 and session.last() is None


def test_held_document_repr_never_shows_the_bytes():
    doc = HeldDocument(id="p1", role="receipt", title="t", pdf=b"secret-bytes")
    assert "secret" not in repr(doc)
    assert doc.size == len(b"secret-bytes")


def test_pending_prints_keep_order_and_ids():
    pending = PendingPrints()
    a = pending.add("receipt", b"A", "a", ("offline",))
    b = pending.add("document", b"BB", "b")
    assert [d.id for d in pending.list()] == [a, b]
    assert pending.get(a).reasons == ("offline",)
    pending.discard(a)
    assert [d.id for d in pending.list()] == [b]
    with pytest.raises(LookupError):
        pending.get(a)


def test_pending_budget_evicts_oldest_and_counts_it():
    pending = PendingPrints(max_bytes=10)
    first = pending.add("receipt", b"x" * 6, "1")
    second = pending.add("receipt", b"y" * 6, "2")
    assert [d.id for d in pending.list()] == [second]
    assert pending.evicted == 1
    with pytest.raises(LookupError):
        pending.get(first)
    # A single document over the budget is still kept (never lose the only copy).
    big = pending.add("receipt", b"z" * 50, "3")
    assert [d.id for d in pending.list()] == [big]


def test_pending_is_thread_safe():
    pending = PendingPrints()

    def add_many():
        for _ in range(200):
            pending.add("receipt", b"p", "t")

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    ids = [d.id for d in pending.list()]
    assert len(ids) == 800 == len(set(ids))
