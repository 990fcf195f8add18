"""systemd unit files as the tests read them: where they are and a strict parser."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.paths import REPO

UNITS_DIR = REPO / "systemd"


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A strict unit-file parser: known section names, `Key=value` lines, continuation lines."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    pending = ""
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = pending + raw.strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line.startswith(("#", ";")):
            continue
        m = re.fullmatch(r"\[(Unit|Service|Install)\]", line)
        if m:
            assert m.group(1) not in sections, f"{path.name}:{number}: duplicate section"
            current = sections.setdefault(m.group(1), {})
            continue
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)=(.*)", line)
        assert m and current is not None, f"{path.name}:{number}: not a Key=value line: {raw!r}"
        current.setdefault(m.group(1), []).append(m.group(2).strip())
    assert not pending, f"{path.name}: dangling continuation"
    return sections
