"""`nnparity doctor` (harness/doctor.py): each line is what this machine really has, and what
is missing comes with its fix and the right exit code."""

import os
import platform
import re
import shutil
import subprocess
import sys
from importlib.metadata import version

import numpy
import pytest
import torch

from harness import doctor
from harness.cli import main
from harness.sandbox import isolation
from harness.sandbox.visible import PROJECT_ROOT

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PIN = re.search(r"^torch==(\S+)$", (PROJECT_ROOT / "constraints.txt").read_text(),
                re.MULTILINE).group(1)
WHATS = [c.what for c in doctor.CHECKS]


def isolation_module_level() -> str:
    """What `python -m harness.sandbox.isolation` prints, in a process of its own."""
    out = subprocess.run([sys.executable, "-m", "harness.sandbox.isolation"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=60).stdout
    return re.match(r"isolation: (\w+)", out).group(1)


def joined(text: str) -> str:
    """The output with wrapped lines (and split commands) joined, spaces collapsed."""
    return " ".join(text.replace(" \\\n", " ").split())


def line_of(out: str, what: str) -> str:
    (line,) = [x for x in out.splitlines() if re.match(rf"{re.escape(what)}\s{{2,}}\w", x)]
    return line


def entry_of(out: str, what: str) -> str:
    """A check's line with its continuation lines (its fix too), joined."""
    lines = out.splitlines()
    start = lines.index(line_of(out, what))
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    return joined("\n".join(lines[start:end]))


@pytest.fixture(scope="module")
def found():
    return {c.what: r for c, r in doctor.run_checks()}


@pytest.fixture
def no_tools(monkeypatch, tmp_path):
    """A machine without bubblewrap and Chromium: an empty PATH, and isolation's probes (cached
    per process) forgotten before and after."""
    probes = (isolation.namespaces_problem, isolation._bwrap_help, isolation.sized_tmpfs)
    for probe in probes:
        probe.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(isolation.ENV_VAR, raising=False)
    yield
    for probe in probes:
        probe.cache_clear()


def test_the_command_runs_and_exits_0_here():
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "doctor"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for what in WHATS:
        assert re.search(r"\s(ok|missing|limited)\s", line_of(proc.stdout, what))
    assert proc.stdout.rstrip().splitlines()[-1].startswith("ready: ")


def test_versions_are_the_installed_ones(found):
    assert found["nnparity"].detail == f"{version('nnparity')}, running from {PROJECT_ROOT}"
    assert found["Python"].status == "ok"
    assert found["Python"].detail.startswith(platform.python_version() + " ")
    assert (found["NumPy"].status, found["NumPy"].detail) == ("ok", numpy.__version__)
    assert found["torch"].detail.startswith(f"{torch.__version__}: ")
    cpu_pinned = torch.version.cuda is None and torch.__version__.split("+")[0] == PIN
    assert (found["torch"].status == "ok") == cpu_pinned


def test_the_isolation_level_is_what_the_isolation_module_reports(found):
    level = isolation_module_level()
    assert re.match(r"(\w+)", found["isolation"].detail).group(1) == level
    assert found["isolation"].status == ("ok" if level == "namespaces" else "limited")
    bwrap = shutil.which("bwrap")
    assert (found["bubblewrap"].status == "ok") == (level == "namespaces")
    assert (found["bubblewrap"].status == "missing") == (bwrap is None)
    if bwrap:
        assert found["bubblewrap"].detail.startswith(bwrap + " ")
    unprivileged = os.geteuid() == 0 or level == "namespaces"
    assert (found["sandbox uid"].status == "ok") == unprivileged
    assert found["sandbox uid"].detail.startswith("root: " if os.geteuid() == 0 else "not root")


def test_chromium_and_the_pytest_plugin_are_what_is_there(found, request):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        assert found["Chromium"].status == "missing"
    else:
        assert found["Chromium"].status in ("ok", "limited")
        assert found["Chromium"].detail.startswith(browser + " ")
    loaded = request.config.pluginmanager.get_plugin("nnparity") is not None
    assert (found["pytest plugin"].status == "ok") == loaded


def test_without_bubblewrap_the_install_command_is_printed_and_the_exit_code_stays_0(
        no_tools, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    level = "uid" if os.geteuid() == 0 else "process"
    assert re.fullmatch(r"bubblewrap missing not installed .* fix: apt-get install bubblewrap",
                        entry_of(out, "bubblewrap"))
    assert re.search(rf"^isolation\s+limited\s+{level} \(bubblewrap is not installed",
                     line_of(out, "isolation"))
    assert isolation_module_level() == level          # under the same PATH
    assert re.fullmatch(r"Chromium missing not installed.* fix: apt-get install chromium",
                        entry_of(out, "Chromium"))
    assert out.rstrip().endswith("(exit code 0)")


def test_every_line_that_is_not_ok_has_exactly_one_fix(no_tools):
    results = doctor.run_checks()
    assert {r.status for _, r in results} >= {"missing", "limited"}
    for check, result in results:
        assert result.status in ("ok", "missing", "limited"), check.what
        assert (result.status == "ok") == (not result.fix and not result.command), check.what
        assert not (result.fix and result.command), check.what


def test_namespaces_demanded_where_there_are_none_exits_1(no_tools, monkeypatch, capsys):
    monkeypatch.setenv(isolation.ENV_VAR, "namespaces")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^isolation\s+missing\s+grading cannot start", line_of(out, "isolation"))
    assert entry_of(out, "isolation").endswith(f"fix: unset {isolation.ENV_VAR}")
    assert out.rstrip().endswith("not ready: nnparity check needs isolation (exit code 1)")


def test_without_torch_the_exit_code_is_1_with_the_install_command(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)   # `import torch` raises ImportError
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert re.fullmatch(rf"torch missing not importable.* fix: pip install torch=={PIN} "
                        rf"--index-url {CPU_INDEX}", entry_of(out, "torch"))
    assert out.rstrip().endswith("not ready: nnparity check needs torch (exit code 1)")


@pytest.mark.parametrize("attribute, value, said", [
    ("version.cuda", "12.8", "a CUDA 12.8 build"),
    ("__version__", "2.5.1+cpu", f"not the {PIN} that constraints.txt pins"),
])
def test_a_cuda_build_or_another_version_is_named_with_the_cpu_reinstall(
        monkeypatch, attribute, value, said):
    owner = torch.version if attribute == "version.cuda" else torch
    monkeypatch.setattr(owner, attribute.split(".")[-1], value)
    result = doctor.check_torch()
    assert result.status == "limited" and said in result.detail
    assert result.command == (f"pip uninstall -y torch && pip install torch=={PIN} "
                              f"--index-url {CPU_INDEX}")


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["doctor", "--help"])
    assert stop.value.code == 0
    help_text = joined(capsys.readouterr().out)
    assert "Exit codes: 0 everything `nnparity check` needs works" in help_text
    assert "1 something it needs is missing" in help_text
