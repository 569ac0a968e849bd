"""Every relative link in README.md and docs/*.md names a file that exists, and every
``#anchor`` one of that file's headings, slugged as GitHub slugs them (lower case, the
characters that are no letter, digit, hyphen or space dropped, spaces made hyphens, a
repeated heading given ``-1``, ``-2``). Fenced code and inline code are no links."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+?)\s*#*$")


def prose(text: str) -> list[str]:
    """The lines of a markdown text outside fenced code, with inline code spans blanked."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(re.sub(r"`[^`]*`", "``", line))
    return lines


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a markdown text's headings."""
    seen: dict[str, int] = {}
    for line in prose(text.replace("`", "")):
        match = HEADING.match(line)
        if match is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def broken_links(document: Path) -> list[str]:
    """The relative links of one document whose file or anchor is missing."""
    broken = []
    for line in prose(document.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (document.parent / path).resolve() if path else document
            if not file.exists() or (
                anchor
                and file.suffix == ".md"
                and anchor not in anchors(file.read_text(encoding="utf-8"))
            ):
                broken.append(target)
    return broken


def test_every_relative_link_and_anchor_of_the_docs_resolves() -> None:
    """README.md and docs/*.md link only to files and headings that exist."""
    found = {str(d.relative_to(ROOT)): broken_links(d) for d in DOCUMENTS}
    assert {str(d.relative_to(ROOT)): [] for d in DOCUMENTS} == found


def test_the_check_finds_a_missing_file_and_a_missing_anchor(tmp_path: Path) -> None:
    """A link to a missing file or heading is reported; code and good links are not."""
    doc = tmp_path / "doc.md"
    (tmp_path / "other.md").write_text("# Other\n\n## The door's `stack` light\n", encoding="utf-8")
    doc.write_text(
        "# Top\n\n[a](other.md#the-doors-stack-light) [b](#top) [c](https://x.invalid/y)\n"
        "[d](missing.md) [e](other.md#nowhere) [f](#nowhere) `[g](missing-too.md)`\n"
        "```\n[h](missing-in-code.md)\n```\n",
        encoding="utf-8",
    )
    assert ["missing.md", "other.md#nowhere", "#nowhere"] == broken_links(doc)
