"""The floor every package stands on: error root, durable files, languages, process facts.

Public API:
- `madoguchi.core.errors`: `MadoguchiError`, the root of every error the product raises on purpose.
- `madoguchi.core.durable`: atomic, fsync'd file writes that never follow a symlink.
- `madoguchi.core.i18n`: the seven languages, message catalogs and number/date formats.
- `madoguchi.core.procinfo`: memory and CPU figures of a process (benchmarks, diagnostics).
- `__version__`: the installed package version.

Nothing here imports another Madoguchi package, a network library or a crypto library.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("madoguchi")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
