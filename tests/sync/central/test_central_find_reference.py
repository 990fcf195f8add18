"""`madoguchi central find-reference`: staff find the submission a resident reads out
(C01B-0017-3, s3 review A3) — the terminal's records go through a real receiver into the real
store, the registry maps C01B to the device; the old <device>-<seq>-<check> form still finds it;
a wrong digit, an unknown terminal or a record not yet received is one clear line, exit 1.
Nothing of the record's content is shown."""

from __future__ import annotations

import json

import pytest
import zmq
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from madoguchi.cli import cli
from sync.keyfiles import Registry
from sync.readable_reference import device_reference, format_reference
from tests.support import sync as sync_support
from tests.support.sync import agent_for, committed, device_kit, start_receiver, wait_until

central, central_db = sync_support.central, sync_support.central_db  # fixtures

pytestmark = pytest.mark.timeout(120)


def _find(keys, db, *args):
    return CliRunner().invoke(cli, ["central", "find-reference", *args, "--keys", str(keys),
                                    "--db", db])  # fmt: skip


def test_staff_find_a_submission_by_the_number_the_resident_reads_out(
    tmp_path, central, central_db
):
    receiver = start_receiver(central, central_db)
    kit = device_kit(tmp_path, central)
    for i in range(20):
        kit.outbox.append("application" if i == 16 else "survey", {"i": i, "name": "窓口 太郎"})
    agent = agent_for(kit, central, receiver.endpoint).start()
    try:
        assert wait_until(lambda: committed(central_db, kit.device_id) == 20)
    finally:
        agent.stop()
        receiver.stop()
    keys = tmp_path / "keys"
    registry = Registry(keys)
    public, _ = zmq.curve_keypair()
    registry.enroll(kit.device_id, public, Ed25519PrivateKey.generate().public_key(), "中央")
    registry.set_reference(kit.device_id, "C01B")

    ref = format_reference("C01", "B", 17)
    result = _find(keys, central_db, ref, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert (found["device_id"], found["seq"], found["kind"]) == (kit.device_id, 17, "application")
    assert "窓口" not in result.output  # the sealed content is never shown
    # as typed at the counter: lower case, full width
    typed = ref.lower().replace("-", "－")
    assert json.loads(_find(keys, central_db, typed, "--json").output)["seq"] == 17
    # the former form names the device itself
    old = _find(keys, central_db, device_reference(kit.device_id, 17))
    assert old.exit_code == 0 and "application" in old.output

    wrong_digit = ref[:-1] + str((int(ref[-1]) + 1) % 10)
    for bad, says in [
        (wrong_digit, "wrong check digit"),
        (format_reference("C02", "", 17), "does not know"),
        (format_reference("C01", "B", 99), "not received"),
    ]:
        result = _find(keys, central_db, bad)
        assert result.exit_code == 1 and says in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
