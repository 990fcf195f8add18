"""IT staff tools: central keys, the offline root and online role keys, device enrollment, device
bundles, downlink publishing, the first-boot installer, update keys.

Library first (`madoguchi provision ...` is a thin click layer in `_cli`). Secrets are written
0600 in 0700 directories and never logged or shown in a repr. Provisioning sits above sync: it
WRITES the key files whose readers live in `sync.keyfiles` (the agent, the receiver and the
kiosk read them without importing provisioning); the readers are re-exported here.

Importing this package imports nothing else (no `cryptography`): every name below is loaded
on first use.

Public API:
- central keys: `init_central`, `rotate_sealing`, `load_central_keys`, `CentralKeys`,
  `sealing_key_id`, `new_curve_keypair`, `curve_public_from_secret`;
- devices: `enroll_device`, `rotate_device`, `export_bundle`, `load_device_bundle`,
  `load_device_config`, `DeviceBundle`, `DeviceConfig`, `Registry`, `EnrolledDevice`;
- first boot: `install_bundle`, `InstallLayout`, `InstallResult`;
- downlink: `publish_config`, `PublishedConfig`, `sign_downlink`;
- root and roles: `init_root`, `sign_root_version`, `RootSigned`, `install_root_chain`,
  `export_role_keys`, `read_role_keys_file`, `rotate_role_key`;
- errors (`provisioning.errors`): `ProvisioningError`, `InstallError`, `PublishError`,
  `RootKeyError`, `UpdateError`, and the key-file errors shared with `sync.keyfiles`
  (`KeyFormatError`, `CentralKeysError`, `DeviceBundleError`, `RegistryError`,
  `UnknownDeviceError`, `DuplicateDeviceError`).
"""

from __future__ import annotations

from madoguchi.core.lazy import lazy_exports

# name -> module that defines (or re-exports) it; loaded on first access (PEP 562)
_EXPORTS = {
    "CentralKeys": "provisioning._central",
    "curve_public_from_secret": "provisioning._central",
    "init_central": "provisioning._central",
    "load_central_keys": "provisioning._central",
    "new_curve_keypair": "provisioning._central",
    "rotate_sealing": "provisioning._central",
    "sealing_key_id": "provisioning._central",
    "DeviceBundle": "provisioning._device",
    "DeviceConfig": "provisioning._device",
    "enroll_device": "provisioning._device",
    "export_bundle": "provisioning._device",
    "load_device_bundle": "provisioning._device",
    "load_device_config": "provisioning._device",
    "rotate_device": "provisioning._device",
    "InstallLayout": "provisioning._firstboot",
    "InstallResult": "provisioning._firstboot",
    "install_bundle": "provisioning._firstboot",
    "PublishedConfig": "provisioning._publish",
    "publish_config": "provisioning._publish",
    "EnrolledDevice": "sync.keyfiles",
    "Registry": "sync.keyfiles",
    "RootSigned": "provisioning._roles",
    "export_role_keys": "provisioning._roles",
    "init_root": "provisioning._roles",
    "install_root_chain": "provisioning._roles",
    "read_role_keys_file": "provisioning._roles",
    "rotate_role_key": "provisioning._roles",
    "sign_downlink": "provisioning._roles",
    "sign_root_version": "provisioning._roles",
    "CentralKeysError": "provisioning.errors",
    "DeviceBundleError": "provisioning.errors",
    "DuplicateDeviceError": "provisioning.errors",
    "InstallError": "provisioning.errors",
    "KeyFormatError": "provisioning.errors",
    "ProvisioningError": "provisioning.errors",
    "PublishError": "provisioning.errors",
    "RegistryError": "provisioning.errors",
    "RootKeyError": "provisioning.errors",
    "UnknownDeviceError": "provisioning.errors",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
