"""Where the tests find the repository, and where they put screenshots.

Screenshots go to a temporary folder of this test process, so that `make test` never rewrites the
tracked copies in docs/screenshots/. To refresh those, run the screenshot tests with
`MADOGUCHI_SCREENSHOT_DIR=docs/screenshots` (docs/harness.md).
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@cache
def screenshot_dir() -> Path:
    """The folder screenshots of this run go to (created; shared by every test of the process)."""
    chosen = os.environ.get("MADOGUCHI_SCREENSHOT_DIR")
    path = Path(chosen).resolve() if chosen else Path(tempfile.mkdtemp(prefix="madoguchi-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path
