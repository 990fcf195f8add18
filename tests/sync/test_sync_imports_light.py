"""`import sync`, `import sync.central` and `import provisioning` import no network, crypto or
database library (issue 17): their public names load on first use, and still resolve."""

import ast
import subprocess
import sys

import pytest

HEAVY = ("zmq", "requests", "cryptography", "psycopg", "flask", "waitress", "cbor2")

_PROBE = """
import sys
import {module}
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
ours = sorted(m for m in sys.modules if m.split(".")[0] in ("sync", "provisioning"))
print(repr((heavy, ours)))
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("module", ["sync", "sync.central", "provisioning"])
def test_importing_the_package_loads_no_heavy_library(module):
    # a fresh interpreter: the test process has imported everything already
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=50,
        check=True,
    ).stdout
    heavy, ours = ast.literal_eval(out)
    assert heavy == []
    parts = module.split(".")
    # nothing of ours beyond the package itself (and its parent package)
    assert ours == [".".join(parts[: i + 1]) for i in range(len(parts))]


@pytest.mark.timeout(60)
def test_the_lazy_names_resolve_to_their_modules():
    import provisioning
    import sync
    import sync.central

    for package in (sync, sync.central, provisioning):
        for name in package.__all__:
            assert getattr(package, name) is not None, (package.__name__, name)
    assert sync.central.open_store.__module__ == "sync.central.stores"
    assert provisioning.Registry is __import__("sync.keyfiles").keyfiles.Registry
    with pytest.raises(AttributeError):
        sync.central.no_such_name  # noqa: B018 - the attribute access is the test
