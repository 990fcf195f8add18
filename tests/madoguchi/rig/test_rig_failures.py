"""A rig that cannot start its daemon says why in the daemon's own words, and leaves nothing behind."""

import subprocess

import pytest

import madoguchi.rig.cups as cups_rig
from madoguchi.rig import CupsRig, ManagedProcess, RigError


def test_managed_process_error_carries_the_daemons_own_log(tmp_path):
    own_log = tmp_path / "error_log"
    script = f"echo 'E missing value for Printcap on line 10' >> {own_log}; exit 3"
    process = ManagedProcess(["sh", "-c", script], tmp_path / "stdout", name="fake-daemon")
    process.daemon_logs.append(own_log)
    process.start()
    with pytest.raises(RigError) as caught:
        process.wait_ready(lambda: False, 10, "ready")
    message = str(caught.value)
    assert "fake-daemon exited (code 3)" in message
    assert "--- error_log ---" in message and "missing value for Printcap" in message


def test_managed_process_that_wrote_nothing_says_so(tmp_path):
    process = ManagedProcess(["sh", "-c", "exit 4"], tmp_path / "stdout", name="silent").start()
    with pytest.raises(RigError, match="the daemon wrote nothing"):
        process.wait_ready(lambda: False, 10, "ready")


@pytest.mark.parametrize("own_dir", [True, False])
def test_cupsd_refusing_its_config_shows_its_errorlog_and_cleans_up(monkeypatch, tmp_path, own_dir):
    # The rig's old cups-files.conf: a bare Printcap, which current cups-daemon refuses.
    monkeypatch.setattr(cups_rig, "_CUPS_FILES_CONF", cups_rig._CUPS_FILES_CONF + "Printcap\n")
    workdir = tmp_path / "cups"
    rig = CupsRig() if own_dir else CupsRig(workdir)
    with pytest.raises(RigError) as caught:
        rig.start(timeout=15)
    message = str(caught.value)
    assert "cupsd exited" in message
    assert "Printcap" in message, message  # cupsd's own line from its ErrorLog
    assert rig._process is None  # stopped
    if own_dir:
        assert rig.root is None  # and its directory removed
    else:
        left = subprocess.run(["pgrep", "-f", str(workdir)], capture_output=True, text=True)
        assert left.stdout.strip() == ""
