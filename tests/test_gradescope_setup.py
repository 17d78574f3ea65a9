"""gradescope/: setup.sh on Gradescope's Ubuntu images, and the wheel students install.

setup.sh runs as a dry run (NNPARITY_DRY_RUN=1: it prints the commands that would change the
machine) with a fake `python3` first on PATH, as Ubuntu 22.04's (3.10) and 24.04's (3.12).
The students' wheel is built by gradescope/build_student_wheel.sh, its file list checked, then
installed in a fresh virtual environment that sees this one's dependencies but not its
editable nnparity (so no student_nn), and run on a student's folder as the feedback says.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "gradescope" / "setup.sh"
BUILD_WHEEL = ROOT / "gradescope" / "build_student_wheel.sh"
TORCH_PIN = next(line for line in (ROOT / "constraints.txt").read_text().splitlines()
                 if line.startswith("torch=="))
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


# ------------------------------------------------------------------ setup.sh, dry run
def fake(path: Path, says: str = "") -> None:
    """An executable that prints `says` and records that it ran (a dry run runs nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "$0 $*" >> "{path.parent}/ran"\necho "{says}"\n')
    path.chmod(0o755)


def dry_run(tmp_path: Path, python3: str, venv_python: str | None = None) -> list[list[str]]:
    """setup.sh's commands, with a python3 that says `python3` ("Python 3.10.12") and, when
    given, a venv left by an earlier run whose python says `venv_python`."""
    bin_dir, venv = tmp_path / "bin", tmp_path / "venv"
    fake(bin_dir / "python3", python3)
    for name in ("apt-get", "python3.11", "pip", "chmod"):
        fake(bin_dir / name)
    if venv_python:
        fake(venv / "bin" / "python", venv_python)
    source = tmp_path / "autograder" / "source" / "nnparity"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "constraints.txt", source)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "NNPARITY_DRY_RUN": "1",
           "NNPARITY_AUTOGRADER_ROOT": str(tmp_path / "autograder"),
           "NNPARITY_VENV": str(venv), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(["bash", str(SETUP)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    for ran in (bin_dir / "ran", venv / "bin" / "ran"):
        # the fakes were only asked their version: nothing ran
        calls = ran.read_text().splitlines() if ran.exists() else []
        assert all(c.endswith(" --version") and "python" in c for c in calls), calls
    return [shlex.split(line[2:]) for line in proc.stdout.splitlines() if line.startswith("+ ")]


def apt_installs(commands: list[list[str]]) -> list[str]:
    return [p for c in commands if c[:2] == ["apt-get", "install"] for p in c[2:]]


def check_common(commands: list[list[str]], venv: Path) -> None:
    """What every image gets: apt-get update before any install, the pinned CPU torch before
    nnparity, nothing unpinned, and the smoke test."""
    kinds = [" ".join(c[:2]) for c in commands]
    assert "apt-get install" in kinds
    assert kinds.index("apt-get update") < min(i for i, k in enumerate(kinds)
                                               if k == "apt-get install")
    assert {"bubblewrap", "util-linux"} <= set(apt_installs(commands))
    pip = [c for c in commands if c[:3] == [str(venv / "bin" / "python"), "-m", "pip"]]
    torch = [c for c in pip if any(a.startswith("torch") for a in c)]
    assert torch == [[*pip[0][:3], "install", TORCH_PIN, "--index-url", CPU_INDEX]]
    nnparity = next(c for c in pip if "-e" in c)
    assert pip.index(torch[0]) < pip.index(nnparity)
    assert nnparity[nnparity.index("-c") + 1].endswith("constraints.txt")
    assert commands[-2][:2] == [str(venv / "bin" / "nnparity"), "grade"]


def test_ubuntu_22_04_gets_the_distributions_python_3_11(tmp_path):
    commands = dry_run(tmp_path, "Python 3.10.12")
    assert {"python3.11", "python3.11-venv"} <= set(apt_installs(commands))
    assert ["python3.11", "-m", "venv", str(tmp_path / "venv")] in commands
    assert not any(c[0] == "python3" for c in commands)   # the image's python3 is left alone
    check_common(commands, tmp_path / "venv")


def test_ubuntu_24_04_uses_its_own_python3(tmp_path):
    commands = dry_run(tmp_path, "Python 3.12.3")
    assert "python3-venv" in apt_installs(commands)
    assert not any("python3.11" in a for c in commands for a in c)
    assert ["python3", "-m", "venv", str(tmp_path / "venv")] in commands
    check_common(commands, tmp_path / "venv")


@pytest.mark.parametrize(("venv_python", "made_anew"),
                         [("Python 3.11.0", False), ("Python 3.10.12", True)])
def test_a_second_run_keeps_a_good_venv_and_replaces_an_old_one(tmp_path, venv_python,
                                                                 made_anew):
    commands = dry_run(tmp_path, "Python 3.10.12", venv_python=venv_python)
    venv = str(tmp_path / "venv")
    made = [c for c in commands if c[1:3] == ["-m", "venv"]]
    assert made == ([["python3.11", "-m", "venv", venv]] if made_anew else [])
    assert (["rm", "-rf", venv] in commands) == made_anew
    if made_anew:
        assert commands.index(["rm", "-rf", venv]) < commands.index(made[0])
    check_common(commands, tmp_path / "venv")


def test_the_autograder_zip_holds_every_module_setup_sh_installs(tmp_path):
    rubric = tmp_path / "my_rubric.toml"
    shutil.copy(ROOT / "harness" / "rubrics" / "hw6.toml", rubric)
    out = tmp_path / "autograder.zip"
    subprocess.run(["bash", str(ROOT / "gradescope" / "make_autograder.sh"), str(rubric),
                    str(out)], check=True, capture_output=True, timeout=120, cwd=tmp_path)
    with zipfile.ZipFile(out) as z:
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "rubric.toml" in modes and not any(n.startswith("nnparity/tests/") for n in modes)
    for package in ("harness", "reference", "student_nn"):
        modules = {f"nnparity/{p.relative_to(ROOT).as_posix()}"
                   for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts}
        assert modules and modules <= set(modes), sorted(modules - set(modes))


# ------------------------------------------------------------------ the students' wheel
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(["bash", str(BUILD_WHEEL), str(out)], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("nnparity-*.whl")
    assert f"pip install ./{whl.name}" in proc.stdout and TORCH_PIN in proc.stdout
    return whl


def test_the_wheel_holds_no_solution_rubric_or_test(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        digests = {hashlib.sha256(z.read(n)).hexdigest() for n in names}
    assert not [n for n in names if n.startswith(("student_nn/", "tests/", "harness/rubrics/"))
                or n.endswith(".toml")]
    # nor any of their files under another name
    secret = [p for d in ("student_nn", "harness/rubrics") for p in (ROOT / d).rglob("*")
              if p.is_file() and p.suffix in (".py", ".toml") and p.stat().st_size > 0]
    assert secret and not [p for p in secret
                           if hashlib.sha256(p.read_bytes()).hexdigest() in digests]
    tops = {n.split("/")[0] for n in names}
    assert tops == {"harness", "reference", "nnparity", wheel.name.split("-py3")[0] + ".dist-info"}
    assert {"harness/cli.py", "reference/layers.py", "harness/data/iris.csv"} <= set(names)


STUDENT_ACTIVATIONS = '''\
import numpy as np


class ReLU:
    def forward(self, Z):
        return np.maximum(Z, 0)

    def backward(self, Z, dY):
        return 2 * dY * (Z > 0)   # the bug
'''


@pytest.fixture(scope="module")
def student(wheel, tmp_path_factory):
    """A fresh venv with the wheel installed (its dependencies from this venv, through a
    .pth path: not this venv's editable nnparity), and a student's hw6 folder."""
    tmp = tmp_path_factory.mktemp("student")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    hw6 = tmp / "hw6" / "neural_networks"
    hw6.mkdir(parents=True)
    (hw6 / "activations.py").write_text(STUDENT_ACTIVATIONS)
    env = {**os.environ, "NNPARITY_ISOLATION": "process",
           "NNPARITY_CACHE_DIR": str(tmp / "cache"), "COLUMNS": "200"}
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    return venv, hw6.parent, env


def nnparity(student, *args: str) -> subprocess.CompletedProcess:
    venv, hw6, env = student
    return subprocess.run([str(venv / "bin" / "nnparity"), *args], cwd=hw6, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_test_venv_has_no_student_nn(student):
    venv, hw6, env = student
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", "import student_nn"], env=env,
                          cwd=hw6, capture_output=True, text=True)
    assert "No module named 'student_nn'" in proc.stderr


def test_check_and_the_feedbacks_repro_run_from_the_wheel(student):
    _, hw6, _ = student
    check = nnparity(student, "check", "--impl", str(hw6), "--ops", "relu", "--cases", "3",
                     "--report", str(hw6 / "report"))
    assert check.returncode == 1, check.stderr   # the bug is found
    assert "Traceback" not in check.stderr
    # the modules the folder lacks are said to be missing (no student_nn to fill them)
    assert "layers: missing" in check.stdout and "weights: missing" in check.stdout

    report = json.loads((hw6 / "report" / "report.json").read_text())
    case = next(r["finding"]["case_id"] for r in report["results"] if r.get("finding"))
    # as the feedback prints it, with the student's folder for 'path/to/your/hw6'
    repro = nnparity(student, "repro", case, "--impl", str(hw6))
    assert repro.returncode == 1, repro.stderr
    assert "relu dX: FAIL" in repro.stdout and "relu forward: PASS" in repro.stdout
    assert "Traceback" not in repro.stderr


def test_without_impl_the_wheel_says_to_give_one(student):
    proc = nnparity(student, "repro", "relu/shape=1x1,seed=307735")
    assert proc.returncode == 2
    assert "--impl" in proc.stderr and "Traceback" not in proc.stderr
