"""`madoguchi card-sim`: make-ca writes a test CA (private key 0600) that run uses to issue the
card's certificate; run keeps the card in the vpcd reader until SIGTERM, then removes it;
profiles lists the bundled ones. Bad profile files each give their own ProfileError."""

import os
import signal
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner
from cryptography import x509

from devices.card import CardReader, card_event_count, wait_for_card
from devices.card._cli import card_sim
from devices.card.simulator import ProfileError, bundled_profiles, load_profile, make_test_ca


def test_make_ca_and_profiles(tmp_path):
    runner = CliRunner()
    result = runner.invoke(card_sim, ["make-ca", str(tmp_path / "ca")])
    assert result.exit_code == 0, result.output
    key = tmp_path / "ca" / "ca.key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = (tmp_path / "ca" / "ca.cert.pem").read_bytes()
    assert runner.invoke(card_sim, ["make-ca", str(tmp_path / "ca")]).exit_code == 0
    assert (tmp_path / "ca" / "ca.cert.pem").read_bytes() == before  # kept, not replaced
    result = runner.invoke(card_sim, ["profiles"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == bundled_profiles()


def test_run_until_sigterm_with_a_ca_dir(pcsc, tmp_path):
    ca_dir = tmp_path / "ca"
    reader = pcsc.reader_name(0)
    assert wait_for_card(reader, present=False, timeout=10)
    proc = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.cli", "card-sim", "run", "--profile", "rare-kanji",
         "--port", str(pcsc.vpcd_port), "--ca-dir", str(ca_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_for_card(reader, present=True, timeout=60), "card-sim run never inserted"
        counter = card_event_count(reader)
        with CardReader(reader).connect() as card:
            card.verify_kenhojo_pin("4321")
            assert card.read_basic4().name == "𠮷野 𠮷太郎"
            cert = card.read_auth_certificate()
        ca = x509.load_pem_x509_certificate((ca_dir / "ca.cert.pem").read_bytes())
        cert.verify_directly_issued_by(ca)
        assert (ca_dir / "cards" / "rare-kanji.cert.pem").exists()  # cached for the next run
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "card removed" in err
        assert wait_for_card(reader, present=False, timeout=10, newer_than=counter)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_ca_dir_caches_card_credentials(tmp_path):
    first = load_profile("ordinary", tmp_path)
    ca = make_test_ca(tmp_path)
    first.auth_certificate.verify_directly_issued_by(ca.certificate)
    again = load_profile("ordinary", tmp_path)
    assert again.auth_certificate == first.auth_certificate
    assert stat.S_IMODE(os.stat(tmp_path / "cards" / "ordinary.key.pem").st_mode) == 0o600


BAD_PROFILES = [
    ("not toml", "this is = = not toml", "not valid TOML"),
    ("sex 3", "[holder]\nsex = 3\n", "sex must be 1, 2 or 9"),
    ("sex as text", '[holder]\nsex = "1"\n', "sex must be int"),
    ("short pin", '[kenhojo]\npin = "123"\n', "pin must be 4 digits"),
    ("letters in pin", '[jpki]\nauth_pin = "12a4"\n', "auth_pin must be 4 digits"),
    ("tries 4", "[kenhojo]\ntries_left = 4\n", "tries_left must be 0..3"),
    ("tries as bool", "[jpki]\nauth_tries_left = true\n", "auth_tries_left must be int"),
    ("my number 11 digits", '[holder]\nmy_number = "12345678901"\n', "my_number must be 12"),
    ("birth date as text", '[holder]\nbirth_date = "1985-04-01"\n', "birth_date must be date"),
    ("unknown application", '[card]\napplications = ["banking"]\n', "unknown application"),
    ("aid not hex", '[card]\nother_aids = ["XYZ"]\n', "other_aids is not hex"),
    ("atr not hex", '[card]\natr = "3B8G"\n', "atr is not hex"),
    ("fault not hex", '[faults]\nbasic4_hex = "FF2"\n', "basic4_hex is not hex"),
]


@pytest.mark.parametrize("case,text,problem", BAD_PROFILES, ids=[c[0] for c in BAD_PROFILES])
def test_bad_profile_files(tmp_path, case, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert problem in info.value.problem
    assert str(path) in str(info.value)


def test_unknown_profile_names_the_bundled_ones():
    with pytest.raises(ProfileError) as info:
        load_profile("no-such-profile")
    assert "ordinary" in info.value.problem
    with pytest.raises(ProfileError):
        load_profile("/nonexistent/dir/x.toml")
