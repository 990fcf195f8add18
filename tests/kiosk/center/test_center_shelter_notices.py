"""The kiosk's shelter screen shows the center's notices: city hall's signed ones and the staff's
(posted on the real queue host), in the screen's language where the notice has it; with the
host cut off (a real TCP forwarder), city hall's from the terminal's own config bundle, still
current ones only; never without shelter mode."""

from __future__ import annotations

import time

import pytest

from devices.card import CardReader
from kiosk.catalog import default_catalog
from kiosk.center import CenterQueue, HostClient, TerminalQueue
from kiosk.services import CardReaderAdapter, OutboxAdapter
from kiosk.session import KioskSession, SessionConfig, SessionPorts, Step
from tests.support.center import TOKEN, CuttableLink, running_host
from tests.support.sync import central_kit, device_kit

pytestmark = pytest.mark.timeout(60)

CITY = [
    {"id": "water-1", "source": "city", "kind": "water", "ja": "給水車は14時から正面玄関前です。",
     "en": "The water truck is at the main entrance from 14:00.", "until": None},
    {"id": "old", "source": "city", "kind": "food", "ja": "昨日の配食は終わりました。", "en": "",
     "until": time.time() - 60},
]  # fmt: skip


def test_notices_on_the_shelter_screen_online_and_cut_off(tmp_path):
    central = central_kit()
    hkit, kit = device_kit(tmp_path, central, "H"), device_kit(tmp_path, central, "K1")
    signed = [n for n in CITY if n["id"] == "water-1"]
    with running_host(tmp_path, hkit.outbox, city_notices=lambda: signed) as (host, server):
        host.notices.post("bath", "シャワーは18時から20時まで使えます。", None, None)
        link = CuttableLink(server._server.effective_port)
        queue = TerminalQueue(
            HostClient(link.url, TOKEN, timeout_s=1.0),
            CenterQueue(tmp_path / "K1-fallback.db", "higashi", mark="1"),
            kit.outbox.append,
            terminal="K1",
            city_notices=lambda: CITY,
        )
        ports = SessionPorts(
            card=CardReaderAdapter(CardReader("no reader")),
            outbox=OutboxAdapter(kit.outbox),
            queue=queue,
        )
        session = KioskSession(default_catalog(), ports, SessionConfig(device_id="K1"))
        services = session.flows.services
        try:
            assert not services.open_shelter()  # only in shelter mode
            session.shelter_mode = True
            assert services.open_shelter() and session.step is Step.SHELTER
            shown = [(n.kind, n.city, n.text("ja")) for n in session.shelter_notices]
            assert shown == [  # newest first: the staff's of now; the city's has no time: last
                ("bath", False, "シャワーは18時から20時まで使えます。"),
                ("water", True, "給水車は14時から正面玄関前です。"),
            ]
            bath, water = session.shelter_notices
            assert water.text("en") == "The water truck is at the main entrance from 14:00."
            assert water.untranslated("en") == ""
            # no Vietnamese: the Japanese original under a line in Vietnamese, never the English
            assert water.text("vi") == "給水車は14時から正面玄関前です。"
            assert water.untranslated("vi") == "Thông báo này chưa được dịch. Hãy hỏi nhân viên."
            assert bath.text("en") == "シャワーは18時から20時まで使えます。"  # it has no English
            assert bath.untranslated("en") == "This notice is not translated yet. Please ask staff."
            assert (water.kind_word("vi"), bath.kind_word("ja-easy")) == ("Nước", "おふろ")
            session.home()
            link.cut()
            assert services.open_shelter()
            assert [(n.kind, n.city) for n in session.shelter_notices] == [("water", True)]
            # check-in from there: the catalog's shelter procedure asks for the card
            assert services.shelter_checkin()
            assert session.step is Step.PLACE_CARD
            assert session.procedure.id == "shelter_checkin"
        finally:
            link.close()
            queue.host.close()
