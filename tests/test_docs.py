"""The README and docs/ hold together without MkDocs: every relative link of README.md and of
the pages under docs/ points to a file that exists and, for `page.md#anchor`, to a heading of
that page, spelled so that the anchor works both on GitHub and in the MkDocs site
(`mkdocs build --strict`, run by .ci/run, checks the site's own links too). The README stays
a five-minute read, and its quick start is what CI runs."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`+[^`]*`+")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
QUICK_START = [
    "pip install -c constraints.txt -e . && nnparity check",
    "pytest -n auto",
]


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with code spans blanked out."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, CODE_SPAN.sub("", line)))
    return out


def _heading_text(raw: str) -> str:
    """A heading's text as rendered: links to their text, emphasis and code marks dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    return text.replace("`", "").replace("*", "")


def _github_slug(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen."""
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def _mkdocs_slug(text: str) -> str:
    """Python-Markdown's toc.slugify (MkDocs' default): ASCII only, runs of spaces and
    hyphens collapsed to one hyphen."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path, slug) -> set[str]:
    """Every anchor `slug` gives the page's headings (a repeated one gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    anchors = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(_heading_text(match.group(2)))
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchors.add(base if n == 0 else f"{base}-{n}")
    return anchors


def _links(page: Path) -> list[tuple[int, str]]:
    return [(number, m.group(1)) for number, line in _prose_lines(page.read_text(encoding="utf-8"))
            for m in LINK.finditer(line)]


def _problem(page: Path, target: str) -> str | None:
    """What is wrong with one link of `page`, or None when it leads somewhere."""
    if SCHEME.match(target) or target.startswith("//"):
        return None                                   # http(s):, mailto: ... not checked here
    path, _, anchor = target.partition("#")
    dest = (page.parent / path).resolve() if path else page
    if not dest.exists():
        shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest
        return f"{target}: no such file ({shown})"
    if not dest.is_relative_to(ROOT):
        return f"{target}: outside the repository"
    if anchor and dest.suffix == ".md":
        for name, slug in (("GitHub", _github_slug), ("MkDocs", _mkdocs_slug)):
            if anchor not in _anchors(dest, slug):
                return f"{target}: {dest.name} has no heading with the {name} anchor #{anchor}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_somewhere(page):
    problems = [f"{page.relative_to(ROOT)}:{number}: {problem}"
                for number, target in _links(page)
                if (problem := _problem(page, target)) is not None]
    assert not problems, "\n".join(problems)


def test_the_link_checker_sees_links_and_anchors():
    """The checker itself: it finds links (not those in code), and both slug rules agree
    with what GitHub and MkDocs make of this project's headings."""
    assert _links(README), "README.md has no link the checker can see"
    sample = ("See [a](docs/cli.md#exit-codes) and ![b](docs/img/report.png), "
              "not `[c](nowhere.md)`.")
    assert [m.group(1) for _, line in _prose_lines(sample) for m in LINK.finditer(line)] == [
        "docs/cli.md#exit-codes", "docs/img/report.png"]
    heading = "What this machine can do: `nnparity doctor`"
    assert _github_slug(_heading_text(heading)) == "what-this-machine-can-do-nnparity-doctor"
    assert _mkdocs_slug(_heading_text(heading)) == "what-this-machine-can-do-nnparity-doctor"
    assert _problem(README, "docs/nowhere.md") is not None
    assert _problem(README, "docs/cli.md#no-such-heading") is not None
    assert _problem(README, "docs/cli.md#exit-codes") is None


def test_every_docs_page_is_linked_from_the_docs_index_or_the_readme():
    linked = {(page.parent / target.partition("#")[0]).resolve()
              for page in PAGES for _, target in _links(page) if not SCHEME.match(target)}
    orphans = [str(p.relative_to(ROOT)) for p in DOCS.rglob("*.md")
               if p.resolve() not in linked and p.name != "index.md"]
    assert not orphans, f"docs pages no page links to: {orphans}"


def test_readme_is_a_five_minute_read():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 150, f"README.md has {lines} lines; move detail into docs/"
    image = DOCS / "img" / "report.png"
    assert image.stat().st_size < 200_000, "docs/img/report.png should stay under 200 KB"


def _quick_start(page: Path) -> list[str]:
    """The commands of the first ```bash block after the page's "Quick start" heading (or, on
    the docs' home page, its first ```bash block), comments stripped."""
    text = page.read_text(encoding="utf-8")
    start = text.find("## Quick start")
    block = re.search(r"```bash\n(.*?)```", text[max(start, 0):], re.S)
    assert block, f"{page.name}: no quick start block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_quick_start_is_what_ci_runs():
    """The README's quick start (also on the docs' home and install pages) is the two commands
    the spec names, and .ci/run, which installs the project on a fresh clone, runs both."""
    assert _quick_start(README) == QUICK_START
    for page in (DOCS / "install.md", DOCS / "index.md"):
        assert _quick_start(page) == QUICK_START, page.name
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "nnparity check" in ci and "pytest -n auto" in ci
    assert "mkdocs build --strict" in ci


def test_readme_carries_what_the_spec_asks_for():
    """What a newcomer needs first: what nnparity is, a picture of both outputs, the doctor
    and the optional system packages, and a section for each kind of user."""
    text = README.read_text(encoding="utf-8")
    for needle in ("nnparity check", "fix list", "docs/img/report.png", "nnparity doctor",
                   "apt-get install bubblewrap", "apt-get install chromium",
                   "## For students", "## For course staff", "## For library authors",
                   "docs/json-report.md", "docs/contract.md", "docs/conventions.md"):
        assert needle in text, needle
