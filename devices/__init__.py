"""Hardware behind small interfaces. Never imports `kiosk` or `provisioning` (lint-imports).

Public API, one package per device, each with its own errors module:
- `devices.card`: the My Number card over PC/SC (`CardReader`, `MyNumberCard`, `CardWatcher`);
  errors in `devices.card.errors` (root `CardError`); the vpcd card simulator in
  `devices.card.simulator` (tests and demo only).
- `devices.printer`: the printers through CUPS (`Printer`, `PendingPrints`, `SessionPrints`) and
  the printed documents (`devices.printer.documents`); errors in `devices.printer.errors` (root
  `PrinterError`).
- `devices.payment`: payment terminals (`PaymentTerminal`, `SocketPaymentTerminal`, the
  simulator); errors in `devices.payment.errors` (root `PaymentError`).
- `devices.fonts`: where the CJK fonts are (`cjk_font_path`, `font_cache_dir`); its one error,
  `FontMissingError`, is in `devices.errors`.

Each third-party driver library is imported by one package only: `smartcard` by devices.card,
`cups` by devices.printer, `fpdf`/`fontTools`/`segno` by devices.printer.documents. Importing
`devices` imports none of them.
"""
