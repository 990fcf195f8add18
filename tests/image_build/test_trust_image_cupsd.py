"""Issue 16 item 6 (printer part): the kiosk image's cupsd keeps no resident document and no
document title after printing. `install-madoguchi.sh system` writes PreserveJobFiles No,
PreserveJobHistory No, a small MaxJobs and no page log into the image's cupsd.conf (replacing
whatever the package set), the real cupsd accepts the result (`cupsd -t`), and the image
check refuses a root whose cupsd would keep job files or history."""

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import REPO

FILES = REPO / "image_build" / "stage-madoguchi" / "01-madoguchi" / "files"
INSTALL = FILES / "install-madoguchi.sh"
HAVE_SYSTEMD_TOOLS = all(
    shutil.which(t) for t in ("systemd-sysusers", "systemd-tmpfiles", "systemctl")
)
# What Debian's cups-daemon ships, plus a hostile line that would keep every job's file.
PACKAGE_CONF = """\
LogLevel debug
PageLogFormat %p %u %j %T %{job-name}
MaxLogSize 0
PreserveJobFiles Yes
  PreserveJobHistory   Yes
Listen localhost:631
Listen /run/cups/cups.sock
<Location />
  Order allow,deny
</Location>
"""


def _directives(conf: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in conf.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            out.setdefault(name, []).append(value.strip())
    return out


def _system(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL), "system", str(root), str(REPO / "systemd")],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL), "check", str(root)], capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def root(tmp_path):
    if not HAVE_SYSTEMD_TOOLS:
        pytest.skip("needs systemd-sysusers, systemd-tmpfiles and systemctl")
    root = tmp_path / "rootfs"
    (root / "etc/cups").mkdir(parents=True)
    (root / "etc/cups/cupsd.conf").write_text(PACKAGE_CONF)
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/cupsd").write_bytes(b"")  # cupsd is in the image
    return root


@pytest.mark.timeout(120)
def test_installed_cupsd_conf_keeps_no_job_files_titles_or_history(root):
    before = _check(root)
    assert before.returncode != 0 and "keeps job files" in before.stderr
    result = _system(root)
    assert result.returncode == 0, result.stderr
    conf = (root / "etc/cups/cupsd.conf").read_text()
    d = _directives(conf)
    assert d["PreserveJobFiles"] == ["No"]
    assert d["PreserveJobHistory"] == ["No"]
    assert len(d["MaxJobs"]) == 1 and 0 < int(d["MaxJobs"][0]) <= 50
    assert d["PageLogFormat"] == [""]  # no page log line naming the job
    assert d["LogLevel"] == ["warn"]
    # the package's own settings we do not touch stay
    assert d["Listen"] == ["localhost:631", "/run/cups/cups.sock"] and "<Location" in d
    assert (root / "etc/cups/cupsd.conf").stat().st_mode & 0o777 == 0o640
    # idempotent: a second run gives the same bytes
    assert _system(root).returncode == 0
    assert (root / "etc/cups/cupsd.conf").read_text() == conf
    after = _check(root)
    assert after.returncode == 0, after.stderr
    assert "keeps no job files or history" in after.stdout


@pytest.mark.skipif(shutil.which("cupsd") is None, reason="cupsd not installed")
@pytest.mark.timeout(120)
def test_the_real_cupsd_accepts_the_installed_conf(root, tmp_path):
    assert _system(root).returncode == 0
    files = tmp_path / "cups-files.conf"
    files.write_text(f"ServerRoot {tmp_path}\nRequestRoot {tmp_path}/spool\n")
    (tmp_path / "spool").mkdir()
    result = subprocess.run(
        ["cupsd", "-t", "-c", str(root / "etc/cups/cupsd.conf"), "-s", str(files)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unknown directive" not in result.stdout + result.stderr


HOSTILE = {
    "history kept for a day": "PreserveJobFiles No\nPreserveJobHistory 86400\n",
    "files kept": "PreserveJobFiles Yes\nPreserveJobHistory No\n",
    "files line missing": "PreserveJobHistory No\n",
    "both set twice": "PreserveJobFiles No\nPreserveJobHistory No\nPreserveJobFiles 3600\n",
}


@pytest.mark.parametrize("conf", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.timeout(30)
def test_image_check_refuses_a_cupsd_that_keeps_jobs(tmp_path, conf):
    root = tmp_path / "rootfs"
    (root / "etc/cups").mkdir(parents=True)
    (root / "etc/cups/cupsd.conf").write_text(conf)
    result = _check(root)
    assert result.returncode != 0
    assert "keeps job" in result.stderr or "to keep jobs" in result.stderr


@pytest.mark.timeout(30)
def test_image_check_refuses_cupsd_without_its_conf(tmp_path):
    root = tmp_path / "rootfs"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/cupsd").write_bytes(b"")
    result = _check(root)
    assert result.returncode != 0 and "cupsd.conf is missing" in result.stderr


NAME = "山田太郎"
ADDRESS = "札幌市北区北1条西2丁目3"


def _spool_jobs(rig) -> list[str]:
    return sorted(p.name for p in (rig.root / "spool").iterdir() if p.name[0] in "cd")


def _completed(rig) -> str:
    return subprocess.run(
        ["lpstat", "-h", rig.server, "-W", "completed", "-o"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()


def _all_jobs(rig) -> str:
    return subprocess.run(
        ["lpstat", "-h", rig.server, "-W", "all", "-o"], capture_output=True, text=True, timeout=30
    ).stdout.strip()


def _print_a_visit(rig, tmp_path, listener, count: int) -> None:
    """A resident's document, with (hostile) their name as the job title too."""
    doc = tmp_path / "certificate.txt"
    doc.write_text(f"住民票の写し\n{NAME}\n{ADDRESS}\n", encoding="utf-8")
    subprocess.run(
        ["lp", "-h", rig.server, "-d", "document", "-t", f"{NAME} 住民票", str(doc)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    jobs = listener.wait_for_jobs(count, 30)
    assert NAME.encode() in jobs[count - 1]  # the printer got the document


@contextlib.contextmanager
def _rig():
    import tempfile

    from madoguchi.rig.cups import CupsRig

    work = Path(tempfile.mkdtemp(prefix="madoguchi-cups-privacy-"))
    rig = CupsRig(work).start()
    try:
        yield rig
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)


def _leftovers(rig) -> list[str]:
    """Files under the cupsd's own directories (spool, state, cache, logs) holding the name or
    the address, in UTF-8 as written."""
    hits = []
    for sub in ("spool", "state", "cache", "log"):
        for path in (rig.root / sub).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if NAME.encode() in data or ADDRESS.encode() in data:
                    hits.append(str(path.relative_to(rig.root)))
    return hits


@pytest.mark.skipif(
    shutil.which("cupsd") is None or shutil.which("lp") is None, reason="needs cups-daemon"
)
@pytest.mark.timeout(180)
def test_after_a_visit_cupsd_keeps_nothing_of_the_resident(root, tmp_path):
    """A real cupsd runs with the cupsd.conf the image installs (the rig's own settings passed
    through `install-madoguchi.sh system`, cupsd restarted on them): after printing a
    document whose content and title carry a name and an address, neither the spool nor the
    job history nor any log holds them. The same print with the rig's test settings (job
    history kept) does leave the title behind: the check can see what it looks for."""
    from madoguchi.rig import ManagedProcess, tcp_listening, wait_for

    # control: the rig's test settings keep job history, and with it the title
    with _rig() as rig:
        listener = rig.add_capture_queue("document")
        _print_a_visit(rig, tmp_path, listener, 1)
        # cupsd saves a finished job's control file (title included) a moment later
        wait_for(
            lambda: any(p.startswith("spool/c") for p in _leftovers(rig)), 30, "the job history"
        )
        assert _completed(rig) != ""
    # the image's settings: this rig's cupsd.conf through the installer, reloaded before any job
    with _rig() as rig:
        (root / "etc/cups/cupsd.conf").write_text((rig.root / "etc/cupsd.conf").read_text())
        assert _system(root).returncode == 0
        (rig.root / "etc/cupsd.conf").write_text((root / "etc/cups/cupsd.conf").read_text())
        # a fresh cupsd on the same directory reads the installed conf from the start
        old = rig._process
        old.stop()
        rig._process = ManagedProcess(old.argv, old.log_path, name="cupsd")
        rig._process.start()
        wait_for(lambda: tcp_listening(rig.port) and rig.socket_path.exists(), 30, "cupsd")
        listener = rig.add_capture_queue("document")
        _print_a_visit(rig, tmp_path, listener, 1)
        # purged from cupsd's memory, so never saved later either
        wait_for(lambda: _all_jobs(rig) == "" and _spool_jobs(rig) == [], 30, "the job to go")
        assert _completed(rig) == ""
        assert _leftovers(rig) == []
