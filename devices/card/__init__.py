"""The My Number card over PC/SC (pyscard → pcscd), per /work/shared/reference/mynumber-card.md.

- `list_readers()`, `CardReader(name).connect() -> MyNumberCard`: kenhojo PIN + basic-4 (and the
  My Number only on request), JPKI auth PIN + certificate + signature.
- `CardWatcher(observer)`: card inserted/removed callbacks from a monitor thread;
  `ScheduledObserver(observer, schedule)` moves them onto the UI's clock.
- Errors in `devices.card.errors`, all `CardError`. Personal data lives in `Basic4`/`MyNumber`,
  which never print their values and can be wiped.

Importing this package has no side effects (no PC/SC context until a call needs one).
"""

from devices.card.data import Basic4, MyNumber, Sex
from devices.card.errors import (
    CardDataError,
    CardError,
    CardRemovedError,
    CardStatusError,
    CertificateExpiredError,
    NoCardError,
    NoReaderError,
    NotMyNumberCardError,
    PinBlockedError,
    PinNotVerifiedError,
    WrongPinError,
)
from devices.card.reader import CardReader, MyNumberCard, Response, list_readers
from devices.card.watcher import (
    CardObserver,
    CardWatcher,
    ScheduledObserver,
    card_event_count,
    wait_for_card,
)

__all__ = [
    "Basic4",
    "CardDataError",
    "CardError",
    "CardObserver",
    "CardReader",
    "CardRemovedError",
    "CardStatusError",
    "CardWatcher",
    "CertificateExpiredError",
    "MyNumber",
    "MyNumberCard",
    "NoCardError",
    "NoReaderError",
    "NotMyNumberCardError",
    "PinBlockedError",
    "PinNotVerifiedError",
    "Response",
    "ScheduledObserver",
    "Sex",
    "WrongPinError",
    "card_event_count",
    "list_readers",
    "wait_for_card",
]
