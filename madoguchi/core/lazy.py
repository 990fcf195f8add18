"""Public names of a package loaded on first use (PEP 562), so that importing the package stays
cheap: `import sync.central` loads no ZeroMQ, HTTP, crypto or database library until a name that
needs one is used.

    __getattr__, __dir__ = lazy_exports(__name__, {"Receiver": "sync.central.receiver"}, globals())

A name is imported from its module on the first look-up and then kept in the package's namespace,
so later look-ups do not come here. An unknown name is the usual AttributeError.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(`__getattr__`, `__dir__`) for `package`, whose public `name` lives in `exports[name]`."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
