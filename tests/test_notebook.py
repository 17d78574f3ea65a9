"""nnparity.check from Python: the CLI's check as a report object (HTML in Jupyter, the
summary table in a terminal), ValueError for unusable input, report files on request."""

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nnparity
from harness.notebook import BOX_HEIGHT
from harness.reports.view import SUMMARY_HEADERS

HERE = Path(__file__).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def sigmoid_report() -> nnparity.Report:
    """Sigmoid.backward ignores dY: one failing output, one fix-list entry, one heatmap."""
    return nnparity.check(HERE / "buggy_impls" / "sigmoid_backward_drops_dY", ops=["sigmoid"],
                          cases=3, progress=False)


def test_importing_nnparity_does_not_load_torch():
    code = ("import sys, nnparity; assert 'torch' not in sys.modules, 'torch loaded'; "
            "assert nnparity.__version__; print(sorted(nnparity.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['Report', '__version__', 'check']"


def test_the_bundled_implementation_passes_and_prints_the_cli_table():
    report = nnparity.check(ops="relu,sigmoid", cases=3, progress=False)
    assert isinstance(report, nnparity.Report)
    assert report.passed and not report.failures and report.fix_list == []
    assert report.json["api"] == "hw6" and report.json["summary"]["verdict"] == "pass"
    assert {(r["op"], r["output"]) for r in report.results} == {
        ("relu", "forward"), ("relu", "dX"), ("sigmoid", "forward"), ("sigmoid", "dX")}
    text = str(report)
    assert all(h in text for h in SUMMARY_HEADERS) and text.count("PASS") == 4
    assert "All 4 op outputs match PyTorch" in text
    assert repr(report).startswith("<nnparity Report: all 4 outputs pass — impl ")

    class Printer:  # IPython's pretty printer, as far as _repr_pretty_ uses it
        def text(self, s):
            self.out = s

    printer = Printer()
    report._repr_pretty_(printer, False)
    assert printer.out == text.rstrip("\n")


def test_a_buggy_hw6_backward_fails_where_it_is_wrong_and_renders_as_html(sigmoid_report):
    report = sigmoid_report
    assert not report.passed
    assert [(r["op"], r["output"]) for r in report.failures] == [("sigmoid", "dX")]
    code = report.failures[0]["finding"]["diagnosis"][0]["code"]
    assert code == "upstream_ignored" and report.fix_list[0]["code"] == code
    assert repr(report).startswith("<nnparity Report: 1 of 2 outputs fail — impl ")
    text = str(report)
    assert "fix list: 1 problem" in text and f"[{code}]" in text
    assert "Sigmoid.backward" in text and "1 of 2 op outputs do not match" in text
    assert "smallest failing case" not in text
    assert "repro: nnparity repro 'sigmoid/" in report.text(findings=True)
    page = report.to_html()
    assert page.startswith("<!doctype html>") and "sigmoid" in page and code in page
    assert code in report._repr_html_()


def _attributes(name: str, text: str) -> list[str]:
    return re.findall(rf'\s{name}="([^"]*)"', text)


def test_the_notebook_view_has_no_script_and_ids_of_its_own(sigmoid_report):
    """What an untrusted notebook keeps: no <script> and no on...= handler (report.html's copy
    buttons have one: the view drops them, their commands stay); ids prefixed with the box's
    (another one in each view, so two views never collide) and in-page links rewritten."""
    shown, page = sigmoid_report._repr_html_(), sigmoid_report.to_html()
    handler = re.compile(r"\son[a-z]+=", re.I)
    assert "<script" not in shown.lower() and not handler.search(shown)
    assert handler.search(page) and "<button" not in shown
    commands = _attributes("data-copy", page)
    assert commands and all(f"<pre>{c}</pre>" in shown for c in commands)
    box, *ids = _attributes("id", shown)
    assert shown.startswith(f'<div class="nnparity-report" id="{box}" style="max-height:')
    assert ids == [f"{box}-{i}" for i in _attributes("id", page)]
    links = [f"{box}-{h[1:]}" for h in _attributes("href", page) if h.startswith("#")]
    assert links and [h[1:] for h in _attributes("href", shown) if h[:1] == "#"] == links
    assert set(links) <= set(ids)
    assert _attributes("id", sigmoid_report._repr_html_())[0] != box


# Run in the converted notebook once it has loaded (the test's script, not the report's): where
# the report's box and its first fix-list entry are; which elements change style when the
# report's <style> is switched off (outside the box) or the notebook's style sheets are (inside
# it, SVG sizes included); the box without its <style>, as a sanitizer that drops <style> shows
# it; then where a click on the entry's first in-page link scrolls to.
PROBE = """<script>
window.addEventListener('load', function () {
  var box = document.querySelector('.nnparity-report'), own = box.querySelector('style');
  var first = document.getElementById(box.id + '-fix-1');
  var PROPS = ['font-family', 'font-size', 'font-weight', 'line-height', 'color',
    'background-color', 'margin-top', 'margin-left', 'padding-top', 'padding-left',
    'border-top-width', 'border-top-color', 'text-align', 'display', 'list-style-type'];
  function style(node) {
    var c = getComputedStyle(node);
    return PROPS.concat(node.tagName === 'svg' ? ['width', 'height'] : [])
      .map(function (p) { return p + ':' + c.getPropertyValue(p); }).join(';');
  }
  function restyled(nodes, off) {
    var before = nodes.map(style); off(true); var after = nodes.map(style); off(false);
    return nodes.map(function (n, i) { return [n.tagName, before[i], after[i]]; })
      .filter(function (d) { return d[1] !== d[2]; }).slice(0, 5);
  }
  function seen(el) {
    var r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
    return el.checkVisibility() && r.top >= b.top && r.top < b.bottom && r.top < innerHeight;
  }
  function sized() {
    return {height: box.getBoundingClientRect().height, scroll_height: box.scrollHeight,
            overflow: getComputedStyle(box).overflowY, first_seen: seen(first)};
  }
  var inside = [box].concat(Array.from(box.querySelectorAll('*')).filter(function (n) {
    return !(n instanceof SVGElement) || n.tagName === 'svg'; }));
  var outside = Array.from(document.querySelectorAll('body, body *')).filter(function (n) {
    return !box.contains(n); });
  var sheets = Array.from(document.styleSheets).filter(function (s) {
    return s.ownerNode !== own; });
  var out = {width: innerWidth, first_text: first.textContent, box: sized(),
    report_restyles: restyled(outside, function (off) { own.disabled = off; }),
    notebook_restyles: restyled(inside, function (off) {
      sheets.forEach(function (s) { s.disabled = off; }); })};
  own.disabled = true;
  out.box_unstyled = sized();
  own.disabled = false;
  var link = first.querySelector('a[href^="#"]');
  link.click();
  setTimeout(function () {
    var target = document.getElementById(link.getAttribute('href').slice(1));
    out.link = {target: target && target.id, seen: !!target && seen(target),
                scrolled: box.scrollTop};
    document.body.setAttribute('data-probe', JSON.stringify(out));
  }, 200);
});
</script>"""


def _notebook_with(report: nnparity.Report, path: Path) -> str:
    """Write an .ipynb (unsigned, so untrusted) whose second cell shows `report`, between a
    Markdown cell and an HTML output of the notebook's own; the report's HTML."""
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (dev extra)")
    v4 = nbformat.v4
    own = "<h2>Other output</h2><p>text</p><table><tr><th>a</th><td>1</td></tr></table>" \
          "<pre>x = 1</pre><a href='#top'>a link</a>"
    shown = report._repr_html_()
    cells = [v4.new_markdown_cell("# A notebook\nSome text."),
             v4.new_code_cell("report", execution_count=1, outputs=[v4.new_output(
                 "execute_result", {"text/html": shown, "text/plain": repr(report)},
                 execution_count=1)]),
             v4.new_code_cell("show()", outputs=[v4.new_output("display_data",
                                                               {"text/html": own})])]
    nbformat.write(v4.new_notebook(cells=cells), path)
    return shown


def test_an_untrusted_notebook_converted_by_nbconvert_shows_the_report(sigmoid_report,
                                                                     tmp_path):
    """`jupyter nbconvert --to html` on an untrusted notebook showing the report, opened in
    headless Chromium at 1366×768: the fix list's first entry is on screen in a box at most
    BOX_HEIGHT high that scrolls (with or without the report's <style>), neither CSS restyles
    the other, and an in-page link scrolls the box to its target. (nbconvert's sanitize_html
    mode is not used: it escapes all but a dozen tags, any rich output's included.)"""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed; on Debian: apt-get install -y chromium")
    pytest.importorskip("nbconvert", reason="nbconvert is not installed (dev extra)")
    shown = _notebook_with(sigmoid_report, tmp_path / "nb.ipynb")
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(tmp_path / "nb.ipynb")],
                   capture_output=True, check=True, timeout=120)
    converted = (tmp_path / "nb.html").read_text()
    assert f'id="{_attributes("id", shown)[0]}"' in converted
    page = tmp_path / "probed.html"
    page.write_text(converted.replace("</body>", PROBE + "</body>"))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--window-size=1366,768", "--virtual-time-budget=3000",
             "--host-resolver-rules=MAP * ~NOTFOUND",   # the page's CDN scripts: offline
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[-2000:]
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["width"] == 1366
    assert sigmoid_report.fix_list[0]["message"] in probe["first_text"]
    for box in (probe["box"], probe["box_unstyled"]):
        assert box["first_seen"] and box["overflow"] == "auto"
        assert box["height"] <= BOX_HEIGHT < box["scroll_height"]
    assert probe["report_restyles"] == [] and probe["notebook_restyles"] == []
    assert probe["link"]["target"] and probe["link"]["seen"] and probe["link"]["scrolled"] > 0


def test_a_cs231n_function_api_is_detected_and_its_report_files_written(tmp_path):
    impl = HERE / "cs231n_impls" / "batchnorm_momentum_swapped"
    report = nnparity.check(impl, ops="batchnorm", cases=3, report_dir=tmp_path,
                            progress=False)
    assert report.json["api"] == "cs231n" and not report.passed
    assert all(r["op"] == "cs231n:batchnorm" for r in report.results)
    failing = {(r["op"], r["output"]) for r in report.failures}
    assert ("cs231n:batchnorm", "running_mean") in failing
    assert "cs231n/layers.py" in report.fix_list[0]["open"]
    assert "API cs231n" in str(report)
    assert {p.name for p in tmp_path.iterdir()} == {"report.json", "report.md", "report.html"}
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["results"] == json.loads(json.dumps(report.json["results"]))
    assert (tmp_path / "report.html").read_text() == report.to_html()
    assert "running_mean" in (tmp_path / "report.md").read_text()
    again = nnparity.Report(saved)  # a report.json read back renders the same way
    assert str(again) == str(report) and not again.passed
    assert set(again.save(tmp_path / "copy")) == {"json", "md", "html"}


@pytest.mark.parametrize("kwargs, needle", [
    ({"impl": "/no/such/dir"}, "impl /no/such/dir: no such file or directory"),
    ({"api": "keras"}, "api: unknown API 'keras'; known APIs: hw6, cs231n"),
    ({"ops": "conv3d"}, "unknown op 'conv3d'"),
    ({"ops": "batchnorm"}, "unknown op 'batchnorm'"),  # a CS231n op, asked of HW6
    ({"cases": 0}, "cases must be at least 1"),
    ({"profile": "lenient"}, "unknown conventions profile 'lenient'"),
    ({"starter": "/no/such/starter"}, "starter /no/such/starter: not a directory"),
])
def test_unusable_input_raises_value_error_saying_what_to_fix(kwargs, needle):
    with pytest.raises(ValueError) as info:
        nnparity.check(progress=False, **kwargs)
    assert needle in str(info.value)
    assert "--" not in str(info.value).split(";")[0]
