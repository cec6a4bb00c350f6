"""Code comments point to the project's own docs, and every section they name exists.

A comment naming a section of a file in docs/ is only worth something
while that section is there; nothing may point outside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"docs/([a-z_]+\.md),\s*\"([^\"]+)\"")
OUTSIDE = re.compile(r"\.\./shared|DESIGN\.md|STYLE\.md")


def _sources() -> list[Path]:
    return [p for d in ("src", "tests", "bench") for p in (ROOT / d).rglob("*.py")]


def _headings(doc: Path) -> set[str]:
    return {
        line.lstrip("#").strip()
        for line in doc.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }


def test_every_section_a_comment_names_exists() -> None:
    missing = []
    for path in _sources():
        text = " ".join(path.read_text(encoding="utf-8").split())  # references may wrap
        for doc, section in REFERENCE.findall(text):
            target = ROOT / "docs" / doc
            if not target.exists() or section not in _headings(target):
                missing.append(f"{path.relative_to(ROOT)}: docs/{doc}, {section!r}")
    assert sorted(set(missing)) == []


def test_nothing_points_outside_the_repository() -> None:
    outside = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if path.name != Path(__file__).name and OUTSIDE.search(path.read_text(encoding="utf-8"))
    ]
    assert outside == []
