"""`SimulatedCard`: put a simulated card in a vpcd reader and wait until pcscd has seen it.

pcscd notices vpcd cards by polling; this waits on SCardGetStatusChange (no sleeps) after
`insert()` and after `remove()`, so the next step always sees the state it expects. `remove()`
waits until pcscd has counted the removal (its event counter moved), not merely until the reader
looks empty: see `wait_for_card(newer_than=...)`.
"""

from __future__ import annotations

from devices.card.errors import CardError
from devices.card.simulator.card import MyNumberCardSim
from devices.card.simulator.profile import CardProfile, load_profile
from devices.card.simulator.vpcd import VirtualCardLink
from devices.card.watcher import card_event_count, wait_for_card

__all__ = ["SimulatedCard"]


class SimulatedCard:
    """`with SimulatedCard("ordinary", port=rig.vpcd_port, reader_name=rig.reader_name(0)) as c:`

    `c.sim` is the `MyNumberCardSim` (its `received` APDUs), `c.link` the `VirtualCardLink`.
    """

    def __init__(
        self,
        profile: str | CardProfile | MyNumberCardSim,
        *,
        port: int,
        reader_name: str,
        host: str = "127.0.0.1",
        timeout: float = 10.0,
    ) -> None:
        if isinstance(profile, MyNumberCardSim):
            self.sim = profile
        else:
            self.sim = MyNumberCardSim(
                profile if isinstance(profile, CardProfile) else load_profile(profile)
            )
        self.link = VirtualCardLink(self.sim, host=host, port=port)
        self.reader_name = reader_name
        self.timeout = timeout
        self._inserted_at: int | None = None

    def insert(self) -> SimulatedCard:
        self.link.insert(timeout=self.timeout)
        if not wait_for_card(self.reader_name, True, self.timeout):
            self.link.remove()
            raise CardError(f"pcscd did not see the simulated card in {self.reader_name}")
        self._inserted_at = card_event_count(self.reader_name)
        return self

    def remove(self) -> None:
        self.link.remove()
        if not wait_for_card(self.reader_name, False, self.timeout, newer_than=self._inserted_at):
            raise CardError(f"pcscd still sees a card in {self.reader_name}")

    def __enter__(self) -> SimulatedCard:
        return self.insert()

    def __exit__(self, *exc: object) -> None:
        self.remove()
