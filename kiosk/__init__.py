"""The kiosk: the resident's touch UI (Kivy screens, thin) on top of plain-Python session logic.

Layer L5 of docs/architecture.md (an app: it may use devices, terminal sync and the wire formats,
never provisioning). Its packages, each with its public API in its own `__init__`:
- `kiosk.session`: the visit as plain Python (no Kivy): `KioskSession` composed of flows
  (visit, card, forms, certificates, services, staff), its ports and steps.
- `kiosk.services`: the ports wired to the real parts (`open_services`, `KioskServices`).
- `kiosk.ui` / `kiosk.app`: the Kivy app and screens (`build_app`), `kiosk.ui.walk` for previews.
- `kiosk.catalog`: life events, procedures, certificates and their search.
- `kiosk.center`: one center's shared queue host, staff console and calling display.
- `kiosk.call`: the terminal's side of a video consultation.
- `kiosk.config` (`load_kiosk_config`), `kiosk.errors` (`KioskError`, `KioskConfigError`).
The command is `madoguchi kiosk` (`kiosk._cli`). Importing this package imports nothing.
"""
