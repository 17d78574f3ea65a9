"""A report that fits a screen (issue #27, point 2): `check` prints the summary table and the
first five fix-list entries in full, wrapped at the terminal's width and never cut, then how many
more report.md holds; `--verbose` prints everything; `repro` prints no Markdown; the HTML page
opens on the fix list (entries after the fifth folded) and every repro command can be copied."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest

from harness.cli import main
from harness.reports.html_page import render_html
from harness.reports.terminal import command_lines, terminal_width, wrap

HERE = Path(__file__).parent
MANY = HERE / "report_fixtures" / "many_problems"   # eight independent bugs
WIDTH = 100                                          # the width when stdout is not a terminal
ENTRY = re.compile(r"^  (\d+)\. ")


def _run(argv: list[str]) -> tuple[int, str]:
    """`nnparity ARGV` with stdout captured (not a terminal) and no $COLUMNS."""
    out = io.StringIO()
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    with mock.patch.dict(os.environ, env, clear=True), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict:
    """`check` on the fixture, plain and --verbose, and the report it wrote."""
    report_dir = tmp_path_factory.mktemp("many")
    argv = ["check", "--impl", str(MANY), "--cases", "3", "--report", str(report_dir)]
    code, out = _run(argv)
    verbose_code, verbose = _run([*argv, "--verbose"])
    report = json.loads((report_dir / "report.json").read_text())
    return {"code": code, "out": out, "verbose": verbose, "verbose_code": verbose_code,
            "report": report, "dir": report_dir}


def _fix_list_part(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("fix list: "))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return lines[start:end]


def _entries(part: list[str]) -> dict[int, str]:
    """Entry number -> its text, wrapped lines joined."""
    out: dict[int, list[str]] = {}
    current = 0
    for line in part[1:]:
        m = ENTRY.match(line)
        if m:
            current = int(m.group(1))
        if current:
            out.setdefault(current, []).append(line.strip())
    return {n: " ".join(lines) for n, lines in out.items()}


def _words(text: str) -> list[str]:
    return " ".join(text.split()).split(" ")


def test_the_fixture_has_more_problems_than_the_terminal_shows(checked) -> None:
    assert checked["code"] == checked["verbose_code"] == 1
    assert len(checked["report"]["fix_list"]) == 8


def test_check_prints_five_entries_in_full_then_how_many_more(checked) -> None:
    part = _fix_list_part(checked["out"])
    entries = _entries(part)
    assert sorted(entries) == [1, 2, 3, 4, 5]
    md = checked["dir"] / "report.md"
    more = next(i for i, line in enumerate(part) if line.startswith("  3 more in "))
    assert " ".join(line.strip() for line in part[more:]) == \
        f"3 more in {md} (--verbose prints every entry here)."
    for e in checked["report"]["fix_list"][:5]:
        shown = entries[e["problem"]]
        # the whole message, word for word: wrapped, never cut
        assert " ".join(_words(e["message"])) in shown, (e["message"], shown)
        assert f"open: {e['open']}" in shown and "repro: nnparity repro " in shown
    for e in checked["report"]["fix_list"][5:]:
        assert e["message"] not in " ".join(checked["out"].split())


def test_no_line_is_wider_than_the_terminal_or_cut_mid_word(checked) -> None:
    out = checked["out"] + checked["verbose"]
    assert all(len(line) <= WIDTH for line in out.splitlines()), \
        max(out.splitlines(), key=len)
    assert "…" not in out   # nothing shortened with an ellipsis
    # every word of every message is printed whole (a word cut at the margin would be two)
    printed = set(_words(out))
    for e in checked["report"]["fix_list"]:
        assert set(_words(e["message"])) <= printed, set(_words(e["message"])) - printed


def test_the_table_names_each_failing_output_s_problem(checked) -> None:
    rows = {tuple(line.split()[:2]): line.split() for line in checked["out"].splitlines()
            if re.match(r"^\S+\s+(forward|dX|dW|db|all \d)", line)}
    for e in checked["report"]["fix_list"]:
        for ref in e["items"]:
            assert rows[(ref["op"], ref["output"])][-1] == str(e["problem"])
    assert rows[("linear", "all")][2:4] == ["2", "PASS"]    # an op whose outputs all pass


def test_verbose_prints_every_entry_and_every_failure(checked) -> None:
    verbose = checked["verbose"]
    entries = _entries(_fix_list_part(verbose))
    assert sorted(entries) == list(range(1, 9))
    assert " more in " not in verbose
    failing = [r for r in checked["report"]["results"] if r["status"] != "pass"]
    for r in failing:
        assert f"\n{r['op']} {r['output']}: {r['status'].upper()}" in verbose
    assert verbose.count("likely bug [") >= len(checked["report"]["fix_list"])
    assert len(verbose.splitlines()) > len(checked["out"].splitlines())


def test_the_screen_is_shorter_than_before(checked) -> None:
    # 155 lines before issue #27 (every failure's gist, 12 of them, always printed)
    assert len(checked["out"].splitlines()) <= 90


def test_repro_prints_the_finding_for_a_terminal(checked) -> None:
    entry = checked["report"]["fix_list"][4]          # Conv2D.backward: maps, values, ...
    case_id = shlex.split(next(r["finding"]["smallest"]["repro"]
                               for r in checked["report"]["results"]
                               if (r["op"], r["output"]) == (entry["root"]["op"],
                                                             entry["root"]["output"])))[2]
    code, out = _run(["repro", case_id, "--impl", str(MANY)])
    assert code == 1
    for markup in ("###", "**", "```", "<details>", "| ---"):
        assert markup not in out, markup
    assert "conv2d dX: FAIL (1 of 1 cases)" in out and "likely bug [activation_use]" in out
    assert "\n  repro: nnparity repro " in out and "input X =" in out
    assert all(len(line) <= WIDTH for line in out.splitlines())


# ---------------------------------------------------------------- wrapping, unit by unit
def test_a_long_command_is_split_between_arguments_and_still_pastes() -> None:
    command = ("nnparity repro 'conv2d/n=1,h=1,w=3,cin=1,cout=1,k=1x1,s=1,pad=0,act=relu,"
               "seed=232444' --impl '/a/rather/long/path/to/the/students/checkout/"
               "neural_networks' --api '/some/adapter.toml'")
    lines = command_lines("repro", command, 90, "     ")
    assert len(lines) == 4 and all(len(line) <= 90 for line in lines)
    assert lines[0] == "     repro: nnparity repro \\"      # the case would not fit after it
    assert lines[1].strip().startswith("'conv2d/") and lines[1].endswith("' \\")
    assert lines[2].strip().startswith("--impl '/a/") and lines[3].strip().startswith("--api")
    pasted = "\n".join(lines).split("repro: ", 1)[1].replace(" \\\n", " ")
    assert shlex.split(pasted) == shlex.split(command)
    assert command_lines("repro", "nnparity repro 'relu/shape=1x1,seed=4'", 80) == [
        "repro: nnparity repro 'relu/shape=1x1,seed=4'"]


def test_wrap_keeps_words_whole() -> None:
    text = "dX is wrong only with act=relu: " + "a" * 120 + " and then some"
    lines = wrap(text, 60, "  1. ", "     ")
    assert lines[0] == "  1. dX is wrong only with act=relu:"
    assert lines[1] == "     " + "a" * 120      # longer than a line: whole, on its own
    assert lines[2] == "     and then some"


def test_wrap_keeps_a_shape_or_a_pair_on_one_line() -> None:
    text = "it returned shape (2, 0, 0, 2) where the dX has shape (2, 5, 5, 2) or (1, 1)"
    for width in range(20, 80):
        lines = wrap(text, width)
        assert " ".join(lines) == text
        assert all(line.count("(") == line.count(")") for line in lines), (width, lines)


def test_the_width_is_the_terminal_s_or_100() -> None:
    not_a_tty = io.StringIO()
    with mock.patch.dict(os.environ, {"COLUMNS": "132"}):
        assert terminal_width(not_a_tty) == 132
    with mock.patch.dict(os.environ, {"COLUMNS": "20"}):
        assert terminal_width(not_a_tty) == 60        # never narrower than 60
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    with mock.patch.dict(os.environ, env, clear=True):
        assert terminal_width(not_a_tty) == 100


# ---------------------------------------------------------------- the HTML page
class _Page(HTMLParser):
    """The fix list's entries (open or folded) and each repro command's copy button."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.entries: list[bool] = []          # one per fix-list <li>: inside <details>?
        self.commands: list[str] = []          # the text of each <pre> holding a command
        self.buttons: list[str] = []           # data-copy of each copy button
        self.open_details: list[bool] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and any(t == "ol" and "fixes" in (x.get("class") or "")
                               for t, x in self.stack):
            self.entries.append(any(t == "details" for t, _ in self.stack))
        if tag == "details" and "more-fixes" in (a.get("class") or ""):
            self.open_details.append("open" in a)
        if tag == "button" and "copy" in (a.get("class") or ""):
            self.buttons.append(a.get("data-copy") or "")
        if tag == "pre":
            self.text = ""
        if tag not in ("br", "meta", "input"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self.text.startswith("nnparity repro "):
            self.commands.append(self.text)
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text += data


def test_html_folds_the_fix_list_after_five_and_every_command_has_a_copy_button(checked):
    page = _Page()
    page.feed(render_html(checked["report"]))
    assert page.entries == [False] * 5 + [True] * 3
    assert page.open_details == [False]
    assert page.commands and page.buttons == page.commands


def test_html_opens_on_the_fix_list_at_1366x768(checked, tmp_path) -> None:
    """In headless Chromium at 1366×768: the fifth entry and the fold ("3 more problems") are on
    the first screen, the folded entries are not shown, and a copy button copies."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium here")
    probe = """<script>
    window.addEventListener('load', function () {
      var lists = document.querySelectorAll('ol.fixes'), button = document.querySelector('.copy');
      button.click();
      setTimeout(function () {
        document.body.setAttribute('data-probe', JSON.stringify({
          height: window.innerHeight, width: window.innerWidth,
          fifth: lists[0].lastElementChild.getBoundingClientRect().bottom,
          fold: document.querySelector('details.more-fixes').getBoundingClientRect().bottom,
          folded_shown: lists[1].checkVisibility(), copied: button.textContent}));
      }, 300);
    });</script>"""
    page = tmp_path / "probe.html"
    page.write_text(render_html(checked["report"]).replace("</body>", probe + "</body>"))
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--window-size=1366,768", "--virtual-time-budget=3000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[-2000:]
    probe_data = json.loads(found.group(1).replace("&quot;", '"'))
    assert probe_data["width"] == 1366
    # --dump-dom's viewport is shorter than the window (681 px of 768): stricter still
    assert probe_data["fifth"] < probe_data["fold"] <= probe_data["height"] <= 768
    assert probe_data["folded_shown"] is False and probe_data["copied"] == "Copied"
