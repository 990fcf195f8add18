"""Errors of provisioning: keys, enrollment, registry, device bundles, first-boot install.

Every class derives from `ProvisioningError` (itself a `MadoguchiError`); fields are structured,
and no message carries a secret or personal data (device ids and paths only).
"""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError

__all__ = [
    "ProvisioningError",
    "KeyFormatError",
    "CentralKeysError",
    "DeviceBundleError",
    "RegistryError",
    "UnknownDeviceError",
    "DuplicateDeviceError",
    "InstallError",
    "PublishError",
    "RootKeyError",
    "UpdateError",
]


class ProvisioningError(MadoguchiError):
    """Base of provisioning errors."""

    def __init__(self, message: str, **fields: object) -> None:
        self.fields = fields
        detail = ", ".join(f"{k}={v}" for k, v in fields.items())
        super().__init__(f"{message} ({detail})" if detail else message)


class KeyFormatError(ProvisioningError):
    """A key or key file has the wrong encoding, length or type."""


class CentralKeysError(ProvisioningError):
    """The central key directory is missing, incomplete or already initialised."""


class DeviceBundleError(ProvisioningError):
    """A device bundle directory or tarball is missing, incomplete or malformed."""


class RegistryError(ProvisioningError):
    """The device registry file cannot be read or written."""


class UnknownDeviceError(RegistryError):
    """No enrolled device has this id."""


class DuplicateDeviceError(RegistryError):
    """A device with this id (or this key) is already enrolled."""


class InstallError(ProvisioningError):
    """The first-boot installer refused a bundle tarball or could not place it."""


class PublishError(ProvisioningError):
    """A downlink bundle cannot be published (the one in place does not verify, bad version)."""


class RootKeyError(ProvisioningError):
    """The offline root or a root chain cannot be used: no root key, a chain that does not
    verify or goes back in version, a role without a key, a delegation outliving its root."""


class UpdateError(ProvisioningError):
    """An update key directory, bundle input or slot state cannot be used."""
