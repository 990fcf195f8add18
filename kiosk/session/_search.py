"""さがす, the search flow (`KioskSession.flows.search`): the resident types words on home's
search screen and goes from a hit to where it belongs.

Guarantees:
- The query and its hits are the visit's (`VisitState.search_query`, `search_hits`,
  `search_faq`): the wipe (finish, home, idle, staff, card removed) replaces them with the
  rest of the visit. They are never logged, sent, printed or stored: no metric names them.
- Bounded: a query is cut to `MAX_QUERY` characters, at most `MAX_HITS` hits are kept, and the
  index is built once per catalog (a few ms) on the first search, not at start-up.
- A hit goes where the same thing goes from the lists: a life event to its questions (and
  checklist), a procedure to its introduction, a certificate to the certificate choice with it
  preselected, a topic to the video consultation with it chosen (`flows.consult`); a FAQ shows its answer on the
  search screen with its offer ("staff": 係員を呼ぶ, "consult:<topic>": 相談する).
- Every method returns False (nothing changed) when the step does not allow it or the key is
  not a hit of the catalog. Plain Python: no Kivy.
"""

from __future__ import annotations

from typing import Any

from kiosk.catalog import MAX_QUERY, SearchHit, SearchIndex
from kiosk.session.steps import Step

__all__ = ["MAX_HITS", "SearchFlow"]

MAX_HITS = 8  # what fits as large buttons without a long scroll; more words narrow it down


class SearchFlow:
    """Open the search screen, search as the resident types, open a hit or a FAQ answer."""

    __slots__ = ("_s",)

    def __init__(self, session: Any) -> None:
        self._s = session  # the KioskSession (the visit's state is on it)

    # ---- what the screen shows -------------------------------------------------------------

    @property
    def query(self) -> str:
        return self._s.visit_state.search_query

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        return self._s.visit_state.search_hits[:MAX_HITS]

    @property
    def more(self) -> bool:
        """More than `MAX_HITS` match: the screen says these are the best, not all."""
        return len(self._s.visit_state.search_hits) > MAX_HITS

    @property
    def faq(self) -> Any:
        """The catalog FAQ whose answer is on screen, or None."""
        faq_id = self._s.visit_state.search_faq
        return self._s.catalog.faqs.get(faq_id) if faq_id else None

    @property
    def certificate_hint(self) -> str:
        """The certificate chosen from a search hit: the certificate screen preselects it."""
        return self._s.visit_state.search_certificate

    def _index(self) -> SearchIndex:
        # A catalog-derived cache on the session (no resident data): rebuilt if the catalog
        # was replaced by a downlink bundle.
        s = self._s
        cached = s.__dict__.get("_search_index")
        if cached is None or cached[0] is not s.catalog:
            cached = s.__dict__["_search_index"] = (s.catalog, SearchIndex(s.catalog))
        return cached[1]

    # ---- intents ---------------------------------------------------------------------------

    def open(self) -> bool:
        """Home's search box: the search screen with an empty query."""
        s = self._s
        if s.step is not Step.HOME:
            return False
        s.touch()
        s.notice = None
        v = s.visit_state
        v.search_query, v.search_hits, v.search_faq = "", (), None
        s._go(Step.SEARCH)
        s._changed()
        return True

    def set_query(self, text: str) -> bool:
        """The words typed so far (the screen calls this debounced): the hits for them."""
        s = self._s
        if s.step is not Step.SEARCH or not isinstance(text, str):
            return False
        s.touch()
        query = text[:MAX_QUERY]
        v = s.visit_state
        if query != v.search_query or v.search_faq is not None:
            v.search_query = query
            # one more than shown: whether there are more (said, never a wrong count)
            v.search_hits = tuple(self._index().search(query, limit=MAX_HITS + 1)) if query else ()
            v.search_faq = None
            s._changed()
        return True

    def choose(self, key: str) -> bool:
        """A hit was tapped (`"<kind>:<id>"`, as `SearchHit.key`): go where it belongs."""
        s = self._s
        if s.step is not Step.SEARCH:
            return False
        hit = next((h for h in self.hits if h.key == key), None)
        if hit is None:
            return False
        if hit.kind == "faq":
            s.touch()
            s.visit_state.search_faq = hit.id
            s._changed()
            return True
        if hit.kind == "topic":
            return self._consult(hit.id)
        if hit.kind == "life_event":
            s._go(Step.LIFE_EVENTS)  # the list's own way in: back returns to the list
            return s.flows.visit.choose_life_event(hit.id)
        if hit.kind == "procedure":
            s._go(Step.PROCEDURES)
            return s.flows.visit.choose_procedure(hit.id)
        if hit.kind == "certificate":
            s._go(Step.HOME)
            if not s.flows.certificates.open():
                s._go(Step.SEARCH)
                return False
            s.visit_state.search_certificate = hit.id
            return True
        return False

    def take_offer(self) -> bool:
        """The FAQ answer's offer: call staff, or the consultation of its topic."""
        s = self._s
        faq = self.faq
        if s.step is not Step.SEARCH or faq is None or not faq.offer:
            return False
        if faq.offer == "staff":
            s.call_staff()
            return True
        if faq.offer.startswith("consult:"):
            return self._consult(faq.offer.split(":", 1)[1])
        return False

    def consult(self) -> bool:
        """相談する with no topic known (no hits): the consultation's topics."""
        s = self._s
        if s.step is not Step.SEARCH:
            return False
        s._go(Step.HOME)  # the consultation returns home, not to a stale search
        if not s.flows.consult.open():
            s._go(Step.SEARCH)
            return False
        return True

    def close_answer(self) -> bool:
        """Back from a FAQ answer to the hits."""
        s = self._s
        if s.step is not Step.SEARCH or s.visit_state.search_faq is None:
            return False
        s.touch()
        s.visit_state.search_faq = None
        s._changed()
        return True

    def back(self) -> bool:
        """From an answer to the hits; from the hits to home (the query is dropped)."""
        s = self._s
        if self.close_answer():
            return True
        if s.step is not Step.SEARCH:
            return False
        s.touch()
        v = s.visit_state
        v.search_query, v.search_hits = "", ()
        s._go(Step.HOME)
        s._changed()
        return True

    def _consult(self, topic_id: str) -> bool:
        """The consultation (engineer A's `flows.consult`) with this topic chosen; when it
        cannot be had now (offline, hours) that flow says why and offers a booking."""
        s = self._s
        if topic_id not in s.catalog.topics or not self.consult():
            return False
        if s.step is Step.CONSULT_TOPIC:
            s.flows.consult.choose_topic(topic_id)
        return True
