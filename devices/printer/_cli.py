"""`madoguchi print-test`: staff diagnostics — print a test document on a role's printer and
report the queue's state. A thin layer: every `PrinterError` becomes one line and exit 1."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from madoguchi.core.i18n import LANGUAGES


@click.command("print-test")
@click.option(
    "--role",
    type=click.Choice(["receipt", "document"]),
    default="receipt",
    show_default=True,
    help="Which printer: the 80 mm receipt roll or the A4 document printer.",
)
@click.option("--server", default=None, help="cupsd as host:port or a Unix socket path.")
@click.option("--queue", default=None, help="CUPS queue name (default: the role's name).")
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default="ja",
    show_default=True,
    help="Language of the test document.",
)
@click.option("--city", default="Madoguchi", show_default=True, help="City name printed.")
@click.option("--center", default="Test", show_default=True, help="Center name printed.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
def print_test(role, server, queue, language, city, center, timeout, as_json) -> None:
    """Print a test receipt (or A4 test page) and report the printer status."""
    from devices.printer import Printer, PrinterConfig
    from devices.printer.documents import (
        ChecklistInfo,
        ChecklistItem,
        DocumentRenderer,
        ReceiptInfo,
    )

    renderer = DocumentRenderer()
    t = renderer.translator(language)
    now = datetime.now().replace(microsecond=0)
    reference = f"TEST-{now:%Y%m%d-%H%M%S}"
    common = {"language": language, "city_name": city, "center_name": center, "issued_at": now}
    if role == "receipt":
        pdf = renderer.receipt(
            ReceiptInfo(**common, reference=reference, procedures=(t.gettext("Test print"),))
        )
    else:
        pdf = renderer.checklist(
            ChecklistInfo(
                **common,
                life_event=t.gettext("Test print"),
                items=(ChecklistItem(t.gettext("Test print"), "here"),),
                reference=reference,
            ),
            paper="A4",
        )
    printer = Printer(
        PrinterConfig(server=server, queues={role: queue or role}, job_timeout_s=timeout)
    )
    before = printer.status(role)
    state = printer.print_and_wait(role, pdf, "print-test", timeout=timeout)
    after = printer.status(role)
    outcome = {
        "role": role,
        "queue": after.queue,
        "job_id": state.job_id,
        "job_state": state.state,
        "bytes": len(pdf),
        "printer_state": after.state,
        "reasons": list(after.reasons),
        "accepting": after.accepting,
        "was_ok_before": before.ok,
    }
    if as_json:
        click.echo(json.dumps(outcome))
    else:
        click.echo(
            f"printed {len(pdf)} bytes on {role} ({after.queue}): job {state.job_id} {state.state}; "
            f"printer {after.state}, reasons: {', '.join(after.reasons) or 'none'}"
        )


@click.command("build-print-font")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write it (default: $MADOGUCHI_FONT_CACHE or ~/.cache/madoguchi/fonts).",
)
@click.option("--if-missing", is_flag=True, help="Do nothing when it is already there.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
def build_print_font(cache_dir: Path | None, if_missing: bool, as_json: bool) -> None:
    """Build the compact CJK font copies, regular and bold, for the printer and the screens."""
    from devices.fonts import FontMissingError, cjk_font_path
    from devices.printer.documents._compact import build_compact_font, compact_font_path

    outcome: dict = {}
    try:
        for weight in ("regular", "bold"):
            source = cjk_font_path(weight)
            path = compact_font_path(cache_dir, source)
            if if_missing and path.is_file():
                facts = {"path": str(path), "built": False}
            else:
                _path, facts = build_compact_font(cache_dir, source)
                facts["built"] = True
            if weight == "regular":
                outcome.update(facts)  # the printer's copy: the object's own keys, as before
            else:
                outcome["bold"] = facts
    except (FontMissingError, OSError) as e:
        raise click.ClickException(f"cannot build the print font: {e}") from e
    if as_json:
        click.echo(json.dumps(outcome))
        return
    for facts in (outcome, outcome["bold"]):
        if facts["built"]:
            click.echo(
                f"{facts['path']}: {facts['characters']} of {facts['source_characters']} "
                f"characters, {facts['glyphs']} glyphs, {facts['bytes']} bytes, {facts['seconds']} s"
            )
        else:
            click.echo(f"{facts['path']}: already there")


commands = [print_test, build_print_font]
