"""Benchmarks write their Markdown tables into the README between a pair of HTML-comment markers."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def write_between_markers(markers: tuple[str, str], body: str, readme: Path = README) -> None:
    """Replace whatever stands between the two markers with `body`; the markers must already be there."""
    start, end = markers
    text = readme.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme} lacks the markers {markers}")
    readme.write_text(pattern.sub(lambda _: f"{start}\n{body.strip()}\n{end}", text))
    print(f"table written to {readme}")
