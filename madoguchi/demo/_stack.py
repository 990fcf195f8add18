"""Everything of one community center and its city hall, on this machine, for the demo.

`DemoStack` creates fresh central keys and enrolls one terminal, then starts: a private pcscd with
the vpcd reader and a simulated My Number card in it, a private cupsd whose `receipt` and
`document` queues save each printed PDF under `<out>/prints/`, the central receiver (SQLite) and
the device's sync agent, each in its own process with its log under `<out>/logs/`, and a tiny
resident directory of the city (HTTP, in this process) that knows the simulated card's holder,
so a certificate issued online prints on A4. All traffic stays on loopback. Stopping is bounded and stops everything that was started, in reverse order.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from madoguchi.rig import CupsRig, ManagedProcess, PcscRig, free_port
from madoguchi.rig._proc import tcp_listening

DEVICE_ID = "demo-center-01"
CENTER = "中央公民館"
CITY = "窓口市"
CARD_PROFILE = "ordinary"


@dataclass(frozen=True)
class DemoPaths:
    out: Path

    @property
    def central_keys(self) -> Path:
        return self.out / "central-keys"

    @property
    def device_bundle(self) -> Path:
        return self.out / "device"

    @property
    def state(self) -> Path:
        return self.out / "state"

    @property
    def run(self) -> Path:
        return self.out / "run"

    @property
    def logs(self) -> Path:
        return self.out / "logs"

    @property
    def prints(self) -> Path:
        return self.out / "prints"

    @property
    def screens(self) -> Path:
        return self.out / "screens"

    @property
    def kiosk_config(self) -> Path:
        return self.out / "kiosk.toml"

    @property
    def central_db(self) -> Path:
        return self.out / "central.sqlite3"

    @property
    def outbox(self) -> Path:
        return self.state / "outbox.sqlite3"

    @property
    def local_state(self) -> Path:
        return self.state / "local.sqlite3"

    @property
    def agent_status(self) -> Path:
        return self.run / "sync-agent.json"

    @property
    def agent_socket(self) -> str:
        return f"ipc://{self.run / 'sync-agent.sock'}"


class _PrintSaver:
    """Writes each job a capture queue receives to `<prints>/NNN-<queue>.pdf`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self.count = 0

    def for_queue(self, queue: str):
        def save(data: bytes) -> None:
            with self._lock:
                self.count += 1
                path = self.directory / f"{self.count:03d}-{queue}.pdf"
            path.write_bytes(data)

        return save


class _DemoResidents:
    """The city's resident directory for the demo: one record, answered as
    `sync.central.residents` asks (`GET /residents/<serial hex>?ca=<fingerprint>`), else 404."""

    def __init__(self, serial: int, ca_fingerprint: str, record: dict) -> None:
        wanted = (f"/residents/{serial:x}", ca_fingerprint)
        self.holder = dict(record)
        body = json.dumps(record, ensure_ascii=False).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                found = (url.path, parse_qs(url.query).get("ca", [""])[0]) == wanted
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body) if found else 0))
                self.end_headers()
                if found:
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/residents"
        threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DemoStack:
    """Use as a context manager; `env` is what a kiosk process needs to reach pcscd and cupsd."""

    def __init__(self, out: Path, *, card_profile: str = CARD_PROFILE) -> None:
        self.paths = DemoPaths(Path(out).resolve())
        self.card_profile = card_profile
        self.pcsc: PcscRig | None = None
        self.cups: CupsRig | None = None
        self.card = None
        self.central: ManagedProcess | None = None
        self.agent: ManagedProcess | None = None
        self.console: ManagedProcess | None = None  # the consultation console (start_console)
        self.residents: _DemoResidents | None = None
        # The city's cashless terminal, simulated (approves): the kiosk's default is to pay at
        # the counter, so the demo configures a terminal to show a certificate printed once paid.
        self.payment_terminal = None
        self.endpoint = ""
        self.prints = _PrintSaver(self.paths.prints)

    @property
    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.pcsc is not None:
            env.update(self.pcsc.env)
        if self.cups is not None:
            env.update(self.cups.env)
        return env

    def _say(self, message: str) -> None:
        print(f"demo: {message}", file=sys.stderr, flush=True)

    def _fresh_dirs(self) -> None:
        p = self.paths
        for generated in (
            p.central_keys,
            p.device_bundle,
            p.state,
            p.run,
            p.logs,
            p.prints,
            p.screens,
        ):
            shutil.rmtree(generated, ignore_errors=True)
        for stale in p.out.glob("central*.sqlite3*"):
            stale.unlink()
        for directory in (p.state, p.run, p.logs, p.prints, p.screens):
            directory.mkdir(parents=True, exist_ok=True)

    def _provision(self) -> None:
        from provisioning import enroll_device, init_central

        port = free_port(host="127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        init_central(self.paths.central_keys)
        enroll_device(
            self.paths.central_keys,
            self.paths.device_bundle,
            device_id=DEVICE_ID,
            center=CENTER,
            city=CITY,
            endpoint=self.endpoint,
            printer_queues={"receipt": "receipt", "document": "document"},
        )
        self._say(f"central keys and device bundle for {DEVICE_ID} in {self.paths.out}")

    def _start_card(self) -> None:
        from devices.card.simulator import SimulatedCard, load_profile, make_test_ca

        # The card's JPKI certificate comes from a demo CA that the central issuer is told to
        # trust (a real city trusts J-LIS' CA instead).
        ca = make_test_ca(self.paths.out / "card-ca")
        trusted = self.paths.central_keys / "jpki-ca"
        trusted.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ca.directory / "ca.cert.pem", trusted / "demo-card-ca.pem")
        profile = load_profile(self.card_profile, ca_dir=ca.directory)
        self.residents = _DemoResidents(
            profile.auth_certificate.serial_number,
            ca.fingerprint.hex(),
            {
                "name": profile.holder_name,
                "address": profile.address,
                "birth_date": profile.birth_date.isoformat(),
                # What certificates print for the options a resident chooses (docs/certificates.md);
                # central passes on only what was asked.
                "head_of_household": profile.holder_name,
                "relationship": "本人",
                "moved_in": "2018-04-01",
                "domicile": "愛知県豊橋市今橋町1番地",
                "domicile_head": profile.holder_name,
                "household": [
                    {
                        "name": "窓口 次郎",
                        "birth_date": "2015-05-05",
                        "relationship": "子",
                        "moved_in": "2018-04-01",
                    },
                ],
                "seal_number": "第 00421 号",
                "tax": [{"fiscal_year": 2025, "income_yen": 3_400_000, "tax_yen": 182_000}],
            },
        )
        (self.paths.central_keys / "residents.json").write_text(
            json.dumps({"url": self.residents.url, "city_name": CITY}, ensure_ascii=False),
            encoding="utf-8",
        )
        self.pcsc = PcscRig(self.paths.out / "pcscd").start()
        self.pcsc.apply_env()
        self.card = SimulatedCard(
            profile, port=self.pcsc.vpcd_port, reader_name=self.pcsc.reader_name(0)
        ).insert()
        self._say(f"pcscd up; simulated card '{self.card_profile}' in {self.pcsc.reader_name(0)}")

    def _start_printers(self) -> None:
        self.cups = CupsRig().start()
        for queue in ("receipt", "document"):
            self.cups.add_capture_queue(queue, on_job=self.prints.for_queue(queue))
        self._say(f"cupsd up on {self.cups.server}; printed PDFs go to {self.paths.prints}")

    def _cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "madoguchi.cli", *args]

    def _start_central(self) -> None:
        port = int(self.endpoint.rsplit(":", 1)[1])
        self.central = ManagedProcess(
            self._cli(
                "central",
                "serve",
                "--keys",
                str(self.paths.central_keys),
                "--db",
                str(self.paths.central_db),
                "--bind",
                self.endpoint,
                "--verbose",
            ),
            self.paths.logs / "central.log",
            name="central",
        ).start()
        self.central.wait_ready(lambda: tcp_listening(port), 30, f"listening on {self.endpoint}")
        self._say(f"central receiver on {self.endpoint}, store {self.paths.central_db.name}")

    def _start_agent(self) -> None:
        self.agent = ManagedProcess(
            self._cli(
                "sync-agent",
                "run",
                "--bundle",
                str(self.paths.device_bundle),
                "--outbox",
                str(self.paths.outbox),
                "--bundles-dir",
                str(self.paths.state / "bundles"),
                "--status",
                str(self.paths.agent_status),
                "--request-socket",
                self.paths.agent_socket,
                "--backoff-cap",
                "5",
                "--verbose",
            ),
            self.paths.logs / "sync-agent.log",
            name="sync-agent",
        ).start()
        self.agent.wait_ready(self.paths.agent_status.exists, 30, "its status file")
        self._say("sync agent running")

    def start_console(self, username: str, password: str) -> str:
        """The consultation console (`madoguchi consult serve`) on loopback over the demo's
        central store, with one specialist account; returns its URL. The kiosk's calls reach it
        through the agent and the receiver, as on a city's network."""
        import os
        import secrets

        from sync.central.consult import ConsultTables, hash_password
        from sync.central.stores import open_store

        store = open_store(str(self.paths.central_db))
        try:
            ConsultTables(store).add_staff(
                username, hash_password(password), ("specialist",), "窓口 花子"
            )
        finally:
            store.close()
        port = free_port(host="127.0.0.1")
        env = {**os.environ, "MADOGUCHI_CONSULT_SECRET": secrets.token_urlsafe(32)}
        self.console = ManagedProcess(
            self._cli(
                "consult",
                "serve",
                "--db",
                str(self.paths.central_db),
                "--listen",
                f"127.0.0.1:{port}",
            ),
            self.paths.logs / "consult.log",
            env=env,
            name="consult",
        ).start()
        self.console.wait_ready(lambda: tcp_listening(port), 30, f"listening on 127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}"
        self._say(f"consultation console on {url}")
        return url

    def print_server_audit(self) -> dict:
        """What the demo's cupsd kept after the visit: document files left in its spool, and how
        many of its files hold the card holder's name, address or birth date (must be none).
        The job title `madoguchi-receipt` is looked for too: it is in the job history, which
        shows the search reads the files where a leak would be."""
        if self.cups is None or self.residents is None:
            return {}
        holder = self.residents.holder
        needles = [holder["name"], holder["address"], holder["birth_date"], "madoguchi-receipt"]
        kept = self.cups.retained(needles)
        personal = {path for n in needles[:3] for path in kept["found"][n]}
        return {
            "document_files_left": len(kept["document_files"]),
            "files_with_personal_data": len(personal),
            "files_with_a_job_title": len(kept["found"]["madoguchi-receipt"]),
        }

    def write_kiosk_config(self, staff_pin_hash: str) -> Path:
        """The kiosk's TOML for this stack (what an image's /etc/madoguchi/kiosk.toml holds)."""
        assert self.pcsc is not None and self.cups is not None
        p = self.paths
        lines = [
            "# Written by `madoguchi demo`.",
            f'bundle = "{p.device_bundle}"',
            f'outbox = "{p.outbox}"',
            f'state = "{p.local_state}"',
            f'agent_status = "{p.agent_status}"',
            f'request_socket = "{p.agent_socket}"',
            f'reader = "{self.pcsc.reader_name(0)}"',
            f'cups_server = "{self.cups.socket_path}"',
            f'staff_pin_hash = "{staff_pin_hash}"',
        ]
        if self.payment_terminal is not None:  # else: pay at the counter, the kiosk's default
            t = self.payment_terminal
            lines += ["[payment]", 'method = "terminal"', f'host = "{t.host}"', f"port = {t.port}"]
        p.kiosk_config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return p.kiosk_config

    def start(self) -> DemoStack:
        self._fresh_dirs()
        self._provision()
        self._start_card()  # before the central starts: it trusts the demo card CA
        self._start_printers()
        self._start_central()
        self._start_agent()
        from devices.payment import PaymentTerminalSimulator

        self.payment_terminal = PaymentTerminalSimulator().start()
        return self

    def stop(self) -> None:
        for process in (self.console, self.agent, self.central):
            if process is not None:
                process.stop()
        self.console = self.agent = self.central = None
        if self.payment_terminal is not None:
            self.payment_terminal.stop()
            self.payment_terminal = None
        if self.residents is not None:
            self.residents.stop()
            self.residents = None
        if self.card is not None:
            self.card.link.remove()
            self.card = None
        for rig in (self.cups, self.pcsc):
            if rig is not None:
                rig.stop()
        self.cups = self.pcsc = None

    def __enter__(self) -> DemoStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
