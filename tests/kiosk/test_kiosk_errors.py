"""The kiosk's errors are one hierarchy under `kiosk.errors.KioskError` (a `MadoguchiError`, which
the CLI turns into one line and exit code 1): the session's configuration errors and everything
the ports raise, with their structured fields."""

from __future__ import annotations

import pytest

from kiosk.errors import KioskError
from kiosk.session import (
    PortCardRefusedError,
    PortError,
    PortOutboxFullError,
    PortPrintError,
    PortWrongPinError,
    SessionConfig,
    SessionConfigError,
    SessionError,
)
from kiosk.session import ports as session_ports
from madoguchi.core.errors import MadoguchiError


def test_session_and_port_errors_are_kiosk_errors():
    assert issubclass(KioskError, MadoguchiError)
    assert issubclass(SessionError, KioskError)
    for error in (SessionConfigError, PortError, PortWrongPinError, PortOutboxFullError):
        assert issubclass(error, SessionError), error


def test_port_errors_are_still_importable_from_the_ports_module():
    assert session_ports.PortError is PortError
    assert session_ports.PortPrintError is PortPrintError
    assert "PortCardRefusedError" in session_ports.__all__


def test_structured_fields_and_messages_without_values():
    assert PortWrongPinError(2).tries_left == 2
    assert PortPrintError(["media-empty"]).reasons == ("media-empty",)
    assert PortCardRefusedError("revoked").reason == "revoked"
    with pytest.raises(SessionConfigError) as e:
        SessionConfig(idle_timeout_s=-1)
    assert isinstance(e.value, KioskError) and e.value.field == "idle_timeout_s"
