"""The on-disk key formats both sides read: the device bundle (the agent and the kiosk), the
central key directory and the device registry (the receiver, the issuer, the dashboard).

`provisioning` writes these files (init, enroll, rotate, revoke) and re-exports the readers;
it sits above sync, so the readers live here and nothing in sync imports provisioning.
Importing this package loads `cryptography` (sync/__init__ does not import it).

Public API:
- device bundle: `DeviceConfig` (device.toml, no secret), `DeviceBundle` (with the device's own
  keys), `load_device_config`, `load_device_bundle`, file names `DEVICE_TOML`, `CURVE_SECRET`,
  `SIGNING_KEY`, `BUNDLE_FILES`;
- central key directory: `CentralKeys`, `load_central_keys`, `sealing_key_id`,
  `new_curve_keypair`, `curve_public_from_secret`, `read_curve_secret`, role keys and root chain
  (`load_role_keys`, `role_key_path`, `read_chain`, `anchor_of`), file names
  `CENTRAL_CURVE_SECRET`, `CENTRAL_CURVE_PUBLIC`, `CATALOG_FILE`, `SEALING_DIR`,
  `SEALING_CURRENT`, `ROLES_DIR`, `ROOT_CHAIN`, `REGISTRY_FILE`;
- registry: `Registry`, `EnrolledDevice`, `check_device_id`, `check_curve_public`;
- small readers: `b64`, `unb64`, `raw_public`, `check_private`, `load_private_pem`,
  `read_toml`, modes `SECRET_FILE_MODE`, `SECRET_DIR_MODE`;
- errors (from `sync.errors`): `KeyFileError` and its subclasses `KeyFormatError`,
  `CentralKeysError`, `DeviceBundleError`, `RegistryError`, `UnknownDeviceError`,
  `DuplicateDeviceError`.

Invariants: every reader checks types and lengths and fails with one error of the list above;
a secret file readable by group or others is refused; no repr shows a secret.
"""

from sync.errors import (
    CentralKeysError,
    DeviceBundleError,
    DuplicateDeviceError,
    KeyFileError,
    KeyFormatError,
    RegistryError,
    UnknownDeviceError,
)
from sync.keyfiles._central import (
    CENTRAL_CURVE_PUBLIC,
    CENTRAL_CURVE_SECRET,
    SEALING_CURRENT,
    SEALING_DIR,
    CentralKeys,
    curve_public_from_secret,
    load_central_keys,
    new_curve_keypair,
    read_curve_secret,
    sealing_key_id,
)
from sync.keyfiles._device import (
    BUNDLE_FILES,
    CURVE_SECRET,
    DEVICE_TOML,
    SIGNING_KEY,
    DeviceBundle,
    DeviceConfig,
    load_device_bundle,
    load_device_config,
)
from sync.keyfiles._files import (
    SECRET_DIR_MODE,
    SECRET_FILE_MODE,
    b64,
    check_private,
    load_private_pem,
    raw_public,
    read_toml,
    unb64,
)
from sync.keyfiles._registry import (
    REGISTRY_FILE,
    EnrolledDevice,
    Registry,
    check_curve_public,
    check_device_id,
)
from sync.keyfiles._roles import (
    CATALOG_FILE,
    ROLES_DIR,
    ROOT_CHAIN,
    anchor_of,
    load_role_keys,
    read_chain,
    role_key_path,
)

__all__ = [
    "BUNDLE_FILES",
    "CATALOG_FILE",
    "CENTRAL_CURVE_PUBLIC",
    "CENTRAL_CURVE_SECRET",
    "CURVE_SECRET",
    "CentralKeys",
    "CentralKeysError",
    "DEVICE_TOML",
    "DeviceBundle",
    "DeviceBundleError",
    "DeviceConfig",
    "DuplicateDeviceError",
    "EnrolledDevice",
    "KeyFileError",
    "KeyFormatError",
    "REGISTRY_FILE",
    "ROLES_DIR",
    "ROOT_CHAIN",
    "Registry",
    "RegistryError",
    "SEALING_CURRENT",
    "SEALING_DIR",
    "SECRET_DIR_MODE",
    "SECRET_FILE_MODE",
    "SIGNING_KEY",
    "UnknownDeviceError",
    "anchor_of",
    "b64",
    "check_curve_public",
    "check_device_id",
    "check_private",
    "curve_public_from_secret",
    "load_central_keys",
    "load_device_bundle",
    "load_device_config",
    "load_private_pem",
    "load_role_keys",
    "new_curve_keypair",
    "raw_public",
    "read_chain",
    "read_curve_secret",
    "read_toml",
    "role_key_path",
    "sealing_key_id",
    "unb64",
]
