"""How fees are paid is the kiosk config's `[payment]` (issue 20): without it the entry point
(`open_services`) wires pay-at-the-counter, so no certificate with a fee prints at a terminal
without a payment terminal; `method = "terminal"` wires the cashless terminal driver, which
charges through the real TCP protocol (the simulator on 127.0.0.1). A bad table is one
`KioskConfigError` naming the key, before any device opens."""

from __future__ import annotations

import pytest

from devices.payment import PaymentTerminalSimulator
from kiosk.config import KioskConfig, KioskConfigError, load_kiosk_config
from kiosk.services import CounterPayment, TerminalPayment, open_services, payment_config
from kiosk.session.ports import PortPaymentError
from provisioning import enroll_device, init_central

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def enrolled(tmp_path):
    init_central(tmp_path / "central")
    enroll_device(tmp_path / "central", tmp_path / "device", device_id="K01", center="東部",
                  endpoint="tcp://127.0.0.1:1")  # fmt: skip
    (tmp_path / "state").mkdir()

    def config(**kw) -> KioskConfig:
        return KioskConfig(bundle=tmp_path / "device", outbox=tmp_path / "state" / "outbox.sqlite3",
                           state=tmp_path / "state" / "local.sqlite3", request_socket="",
                           reader="no reader", **kw)  # fmt: skip

    opened = []

    def open_(**kw):
        services, _device = open_services(config(**kw))
        services.printer = None
        opened.append(services)
        return services

    yield open_
    for services in opened:
        services.close()
        services.outbox.close()


def test_the_entry_point_pays_at_the_counter_by_default(enrolled, tmp_path):
    services = enrolled()
    payment = services.ports().payment
    assert isinstance(payment, CounterPayment) and payment.method == "counter"
    # A payment that then failed to print is kept beside the local state, for staff.
    payment.record_incident({"reference": "R1", "amount_yen": 300, "method": "counter"})
    kept = tmp_path / "state" / "payment-incidents.jsonl"
    assert kept.stat().st_mode & 0o777 == 0o600 and '"amount_yen": 300' in kept.read_text()


def test_a_payment_terminal_is_wired_from_the_config_and_charges(enrolled):
    with PaymentTerminalSimulator(script=["decline"]) as sim:
        table = {"method": "terminal", "host": sim.host, "port": sim.port, "timeout_s": 10}
        payment = enrolled(payment=table).ports().payment
        assert isinstance(payment, TerminalPayment)
        with pytest.raises(PortPaymentError) as e:
            payment.charge(600, "中央-1203-0042")
        assert e.value.reason == "declined"
        paid = payment.charge(600, "中央-1203-0043")
        assert paid.amount_yen == 600 and paid.method == "terminal"
        assert [c["amount_yen"] for c in sim.approved] == [600]


@pytest.mark.parametrize(
    ("table", "names"),
    [
        ({"method": "cash"}, "method"),
        ({"method": "terminal"}, "host"),
        ({"method": "terminal", "host": "10.0.0.5"}, "port"),
        ({"method": "terminal", "host": "10.0.0.5", "port": 0}, "port"),
        ({"method": "terminal", "host": "10.0.0.5", "port": "8000"}, "port"),
        ({"method": "terminal", "host": "a b", "port": 8000}, "host"),
        ({"method": "counter", "host": "10.0.0.5"}, "host"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": True}, "timeout_s"),
        ({"connect_timeout_s": 60}, "connect_timeout_s"),
        ({"metod": "counter"}, "metod"),
    ],
)
def test_a_bad_payment_table_is_one_clear_error(table, names):
    with pytest.raises(KioskConfigError) as e:
        payment_config(table)
    assert names in str(e.value) and "[payment]" in str(e.value)


def test_payment_in_the_toml(tmp_path, enrolled):
    path = tmp_path / "kiosk.toml"
    path.write_text('[payment]\nmethod = "counter"\n', encoding="utf-8")
    assert payment_config(load_kiosk_config(path).payment).method == "counter"
    path.write_text('payment = "terminal"\n', encoding="utf-8")
    with pytest.raises(KioskConfigError, match=r"\[payment\] must be a table"):
        load_kiosk_config(path)
    # The entry point refuses a bad table before it opens anything (no outbox file made).
    with pytest.raises(KioskConfigError):
        enrolled(payment={"method": "cash"})
    assert not (tmp_path / "state" / "outbox.sqlite3").exists()
