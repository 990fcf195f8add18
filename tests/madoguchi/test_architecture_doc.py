"""docs/architecture.md's picture of the layers is the layers contract of pyproject.toml: same
layers, same order, same modules, same independence marks (`|` or `:`), so neither can drift."""

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_NAME = r"\(?[A-Za-z_][\w.]*\)?"
_LAYER = re.compile(rf"^\s*L(\d+)\s+({_NAME}(?:\s*[:|]\s*{_NAME})*)")
_MORE = re.compile(rf"^\s+([:|]\s*{_NAME}(?:\s*[:|]\s*{_NAME})*)")


def _split(text: str) -> tuple[str, list[str]]:
    """("|" or ":" or "", the module names) of one layer's text."""
    marks = set(re.findall(r"[:|]", text))
    assert len(marks) <= 1, f"a layer mixes | and : ({text})"
    names = [n.strip().strip("()") for n in re.split(r"[:|]", text)]
    return (marks.pop() if marks else ""), names


def _doc_layers(markdown: str) -> list[tuple[str, list[str]]]:
    section = markdown.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    picture = section.split("```", 2)[1]
    layers: list[tuple[int, str]] = []
    for line in picture.splitlines():
        start = _LAYER.match(line)
        if start:
            layers.append((int(start.group(1)), start.group(2)))
            continue
        more = _MORE.match(line)
        if more and layers:
            number, text = layers[-1]
            layers[-1] = (number, f"{text} {more.group(1)}")
    assert [n for n, _ in layers] == list(range(1, len(layers) + 1)), "layers numbered L1, L2, ..."
    return [_split(text) for _, text in layers]


def _contract_layers() -> list[tuple[str, list[str]]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    return [_split(layer) for layer in layers]


def test_picture_equals_the_layers_contract():
    doc = _doc_layers((REPO / "docs" / "architecture.md").read_text())
    contract = _contract_layers()
    assert len(doc) == len(contract), (len(doc), len(contract))
    # within a layer the order means nothing: compare the sets of names
    for number, (drawn, checked) in enumerate(zip(doc, contract, strict=True), start=1):
        assert (drawn[0], sorted(drawn[1])) == (checked[0], sorted(checked[1])), (
            f"L{number}: docs/architecture.md {drawn} != pyproject.toml {checked}"
        )


def test_parser_reads_wrapped_layers_and_comments():
    picture = """# x
## Layers
```
 L1  a.b | a.c          a comment: with a colon
        │  arrow
 L2  d : e
       : f.g
 L3  (h)
```
"""
    assert _doc_layers(picture) == [("|", ["a.b", "a.c"]), (":", ["d", "e", "f.g"]), ("", ["h"])]
