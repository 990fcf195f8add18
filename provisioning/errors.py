"""Errors of provisioning: keys, enrollment, registry, device bundles, first-boot install.

Provisioning's own errors derive from `ProvisioningError` (itself a `MadoguchiError`). The
key-file errors (`KeyFormatError`, `CentralKeysError`, `DeviceBundleError`, `RegistryError`,
`UnknownDeviceError`, `DuplicateDeviceError`) are raised by the readers in `sync.keyfiles` too,
so they are defined in `sync.errors` (under `KeyFileError`) and named here for provisioning's
callers; they are the same classes. Fields are structured, and no message carries a secret or
personal data (device ids and paths only).
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError
from sync.errors import (
    CentralKeysError,
    DeviceBundleError,
    DuplicateDeviceError,
    KeyFileError,
    KeyFormatError,
    RegistryError,
    UnknownDeviceError,
)

__all__ = [
    "ProvisioningError",
    "KeyFileError",
    "KeyFormatError",
    "CentralKeysError",
    "DeviceBundleError",
    "RegistryError",
    "UnknownDeviceError",
    "DuplicateDeviceError",
    "CenterCertError",
    "InstallError",
    "PublishError",
    "RootKeyError",
    "UpdateError",
    "UpdateTrustError",
]


class ProvisioningError(MadoguchiError):
    """Base of provisioning errors."""

    def __init__(self, message: str, **fields: object) -> None:
        self.fields = fields
        detail = ", ".join(f"{k}={v}" for k, v in fields.items())
        super().__init__(f"{message} ({detail})" if detail else message)


class CenterCertError(ProvisioningError):
    """A center queue host's certificate cannot be made: a bad center id or host URL, or a
    directory that already holds a key (never overwritten)."""


class InstallError(ProvisioningError):
    """The first-boot installer refused a bundle tarball or could not place it."""


class PublishError(ProvisioningError):
    """A downlink bundle cannot be published (the one in place does not verify, bad version)."""


class RootKeyError(ProvisioningError):
    """The offline root or a root chain cannot be used: no root key, a chain that does not
    verify or goes back in version, a role without a key, a delegation outliving its root."""


class UpdateError(ProvisioningError):
    """An update key directory, bundle input or slot state cannot be used."""


class UpdateTrustError(UpdateError):
    """The update CA is not vouched for by the root of trust: no or a bad statement, another
    certificate, another or an expired root (`provisioning._update_trust`)."""
