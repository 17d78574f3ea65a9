"""docs/twins.md is the catalogue `nnparity twins --markdown` prints, generated from the op
tables: it names every op's inputs as the driver gives them."""

from __future__ import annotations

from pathlib import Path

from harness.cli import main
from harness.reports import twins

PAGE = Path(__file__).resolve().parents[1] / "docs" / "twins.md"


def test_the_page_is_the_catalogue_the_code_has() -> None:
    expected = twins.markdown(twins.builtin_apis())
    assert PAGE.read_text() == expected + "\n", \
        "docs/twins.md is stale: nnparity twins --markdown > docs/twins.md"


def test_a_row_says_what_the_twin_takes_as_the_driver_gives_it() -> None:
    rows = {r.op: r for api in twins.builtin_apis() for r in twins.rows(api)}
    assert rows["cs231n:relu"].inputs.startswith("Z (")      # not x: what the driver passes
    assert rows["mytorch:linear"].twin == "reference.mytorch.Linear"
    assert rows["mytorch:linear"].arguments == "in_features=3, out_features=2"
    assert rows["cs231n:affine"].implementation == "affine_forward, affine_backward"
    assert set(rows) == {op for api in twins.builtin_apis() for op in api.ops}


def test_the_command_prints_one_api(capsys) -> None:
    assert main(["twins", "--api", "mytorch"]) == 0
    out = capsys.readouterr().out
    assert "mytorch:conv1d: Conv1d (nn/Conv1d.py); twin reference.mytorch.Conv1d" in out
    assert "cs231n" not in out
    assert main(["twins", "--api", "keras"]) == 2
