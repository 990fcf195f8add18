"""What a staff member may send to be printed at the terminal, checked before the kiosk sees it.

Invariant: `checklist_from_staff` returns the kiosk's checklist print-job data (the shape
`kiosk.services.PrinterAdapter` renders: title; items of name, where, office, documents, url) or
None; only bounded plain text passes (title ≤ 80 characters, 1-20 items, ≤ 10 documents each,
https links only). Pure: no I/O, no logging (the text may name the resident's situation).
"""

from __future__ import annotations

__all__ = ["checklist_from_staff"]


def checklist_from_staff(message: dict) -> dict | None:
    """A document the staff member sent to print, as the kiosk's checklist print job data
    (`kiosk.services` PrinterAdapter: title, items of name/where/office/documents/url), or None
    if it is not one we print: bounded sizes, text only, https URLs only."""

    def text(value: object, limit: int, *, required: bool = False) -> str | None:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
            return None
        return value.strip()

    title = text(message.get("title"), 80, required=True)
    items = message.get("items")
    if title is None or not isinstance(items, list) or not 1 <= len(items) <= 20:
        return None
    out = []
    for item in items:
        if not isinstance(item, dict):
            return None
        name = text(item.get("name"), 80, required=True)
        office = text(item.get("office"), 80)
        url = text(item.get("url"), 200)
        documents = item.get("documents") or []
        if None in (name, office, url) or not isinstance(documents, list) or len(documents) > 10:
            return None
        if url and not url.startswith("https://"):
            return None
        docs = [text(d, 80, required=True) for d in documents]
        if None in docs:
            return None
        where = "online" if url else "office"
        out.append({"name": name, "where": where, "office": office, "documents": docs, "url": url})
    return {"title": title, "items": out}
