"""IT staff tools: central keys, the offline root and online role keys, device enrollment, device
bundles, the first-boot installer.

Library first (`madoguchi provision ...` is a thin click layer in `_cli`). Secrets are written
0600 in 0700 directories and never logged or shown in a repr; the central side's registry of
enrolled devices is what the receiver's ZAP allowlist consults (`Registry.lookup`).
"""

from provisioning._central import (
    CentralKeys,
    curve_public_from_secret,
    init_central,
    load_central_keys,
    new_curve_keypair,
    rotate_sealing,
    sealing_key_id,
)
from provisioning._device import (
    DeviceBundle,
    DeviceConfig,
    enroll_device,
    export_bundle,
    load_device_bundle,
    load_device_config,
    rotate_device,
)
from provisioning._firstboot import InstallLayout, InstallResult, install_bundle
from provisioning._publish import PublishedConfig, publish_config
from provisioning._registry import EnrolledDevice, Registry
from provisioning._roles import (
    RootSigned,
    export_role_keys,
    init_root,
    install_root_chain,
    read_role_keys_file,
    rotate_role_key,
    sign_downlink,
    sign_root_version,
)
from provisioning.errors import (
    CentralKeysError,
    DeviceBundleError,
    DuplicateDeviceError,
    InstallError,
    KeyFormatError,
    ProvisioningError,
    PublishError,
    RegistryError,
    RootKeyError,
    UnknownDeviceError,
)

__all__ = [
    "sign_root_version",
    "sign_downlink",
    "rotate_role_key",
    "read_role_keys_file",
    "install_root_chain",
    "init_root",
    "export_role_keys",
    "RootSigned",
    "RootKeyError",
    "CentralKeys",
    "CentralKeysError",
    "DeviceBundle",
    "DeviceBundleError",
    "DeviceConfig",
    "DuplicateDeviceError",
    "EnrolledDevice",
    "InstallError",
    "InstallLayout",
    "InstallResult",
    "KeyFormatError",
    "ProvisioningError",
    "PublishError",
    "PublishedConfig",
    "Registry",
    "RegistryError",
    "UnknownDeviceError",
    "curve_public_from_secret",
    "enroll_device",
    "export_bundle",
    "init_central",
    "install_bundle",
    "load_central_keys",
    "load_device_bundle",
    "load_device_config",
    "new_curve_keypair",
    "publish_config",
    "rotate_device",
    "rotate_sealing",
    "sealing_key_id",
]
