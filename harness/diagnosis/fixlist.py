"""The fix list: the distinct root causes of a report's failures, in the order to fix them.

Twenty failing items are often six problems: a layers.py that does not import fails every
layer output the same way, a Sigmoid bug breaks every layer that uses it, a wrong forward
breaks the gradients computed from its cache. `fix_list(report)` groups the failing items
of a JSON report (`harness.core.results`) into root causes, and `fix_list_of(items)` does the
same for any list of items shaped like the report's results (grading's tests, say). It only
reorganises what the findings already say; no verdict and no diagnosis changes.

Items are grouped when the report shows one thing explains them:

- the same import error (the module that fails to import, or the file that raised while
  importing it), the same missing module, the same missing class;
- the same exception site (file, line and exception type in the implementation's files);
- the same timeout or crash of an op (every output of the op's run), the same stub
  (an op's method returning None or ``...``), the time budget used up;
- a ``caused_by`` pointer (a layer that fails only through a failing activation: the
  activation's item is the root; a pointer to an item the report does not hold makes a
  root of its own), and a top diagnosis ``caused_by_forward`` (the op's forward item is the
  root);
- the same specific top diagnosis of the same method of one op (Conv2D.backward's dX, dW
  and db all ``activation_use``: one bug); generic codes (``value_mismatch``, a wrong
  shape, ...) group nothing;
- a finding whose investigation split one output's mismatches into several bugs (the
  ``groups`` key of a finding, `harness.diagnosis.investigate`) is one item per problem, each
  grouped on its own (so a problem can join the same bug in the op's other outputs).

Roots come first that others depend on: import errors (and a package that does not start)
first, then the registry's order (activations before layers before losses before whole
models; forward before the gradients). Each entry (``fix_list`` in report.json):

    {"problem": 1, "code": "import_error", "title": "the module does not import",
     "message": "import raised: SyntaxError: ...",    (the root's top diagnosis)
     "open": "neural_networks/layers.py:5 · <module>",  (the file and function to open)
     "file": "neural_networks/layers.py", "line": 5, "function": "<module>",
     "frames": [...],    (an exception's traceback frames in the implementation's files)
     "why": "the same import error",                  (why the items are grouped)
     "root": {"op": "fully_connected", "output": "forward"},
     "items": [{"op": ..., "output": ...}, ...]}       (every item it explains, root first)

Items of grading (tests) also carry ``test`` (the test's name) in ``root`` and ``items``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.apis.known import APIS, DEFAULT
from harness.core.registry import find_op, ops_of
from harness.diagnosis.causes import CODES

GROUPS_KEY = "groups"  # several bugs found in one output (harness/diagnosis/investigate.py)
# Top codes that do not name one bug: two outputs with these are not grouped by the code.
UNSPECIFIC = {"value_mismatch", "wrong_shape", "wrong_type", "wrong_dtype", "nan_inf",
              "student_exception", "caused_by_forward", "caused_by_activation",
              "caused_by_layer", "caused_by_optimizer", "model_code", "training_separates"}

WHY = {"import": "the same import error", "missing": "the same missing module",
       "class": "the same missing class", "site": "the same exception at the same line",
       "outage": "the same time-out or crash of one run", "stub": "the same stub",
       "budget": "the time budget was used up", "message": "the same message",
       "code": "the same bug named in the same method",
       "caused_by": "they fail only through it", "forward": "backward starts from forward"}


def package_name(impl: str | None, api: str = DEFAULT.name) -> str:
    """The package as the implementation's files name it: one of its API's package names
    (HW6: student_nn or neural_networks), else the name it is imported as; a function API:
    the folder holding its modules (cs231n)."""
    name = Path(str(impl or "")).name
    known = APIS.get(api)
    if known is None or known.functions:
        return name or api
    return name if name in known.package_names else known.package


def _op_order(op: str, output: str) -> tuple[int, int]:
    spec = find_op(op)
    names = list(ops_of(spec.api)) if spec else []
    return (names.index(op) if op in names else len(names),
            spec.outputs.index(output) if spec and output in spec.outputs else 99)


def _method(op: str, output: str, detail: bool = True) -> str:
    """What to open for `output`: 'Conv2D.backward', 'batchnorm_backward', an adapter's
    'Affine.backward (self.db)' (without `detail`: the method alone, 'Affine.backward')."""
    spec = find_op(op)
    if spec is None:
        return ""
    return spec.function(output, detail)


FRAME = re.compile(r'^  File "([^"]+)", line (\d+), in (\S+)$', re.MULTILINE)
METHODS = ("forward", "backward", "_init_parameters", "__init__", "__call__")


def frames(error: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The frames of an exception's traceback (only the implementation's own files are in
    it, see harness/sandbox/child.py), outermost first: [{file, line, function}]."""
    text = str((error or {}).get("traceback") or "")
    return [{"file": f, "line": int(n), "function": fn} for f, n, fn in FRAME.findall(text)]


def _qualified(spec: Any, file: str, function: str, package: str) -> str:
    """'Conv2D.forward' for a method of the op's own class in the op's own module."""
    if spec and file == f"{package}/{spec.module}.py" and function in METHODS:
        return f"{spec.cls}.{function}"
    return function


def _where(op: str, output: str, finding: dict[str, Any] | None,
           package: str) -> dict[str, Any]:
    """The file and function to open: the error's (and, when it was raised in a helper, the
    op's own method that called it), else the op's module and method."""
    err = (finding or {}).get("error") or {}
    spec = find_op(op)
    if err.get("file"):
        function = _qualified(spec, err["file"], str(err.get("function") or ""), package)
        line = err.get("line")
        open_ = f"{err['file']}:{line}" if line else str(err["file"])
        open_ = f"{open_} · {function}" if function else open_
        chain = frames(err)
        caller = next((f for f in reversed(chain[:-1]) if spec and f["function"] in METHODS
                       and f["file"] == f"{package}/{spec.module}.py"), None)
        if caller is not None and (caller["file"], caller["line"]) != (err["file"], line):
            open_ += (f", called from {caller['file']}:{caller['line']} · "
                      f"{_qualified(spec, caller['file'], caller['function'], package)}")
        return {"open": open_, "file": err["file"], "line": line, "function": function,
                "frames": chain}
    if spec is None:
        return {"open": "", "file": None, "line": None, "function": None}
    file = f"{package}/{spec.module}.py"
    if err.get("stage") == "import" and not err.get("not_implemented"):
        return {"open": file, "file": file, "line": None, "function": None}
    creates = _top(finding).get("code") == "created_shape" and spec.creates
    # a wrong created shape: open the method that creates the parameters, whatever output
    function = f"{spec.cls}.{spec.creates.partition('(')[0]}" if creates else _method(op, output)
    return {"open": f"{file} · {function}", "file": file, "line": None, "function": function}


def _top(finding: dict[str, Any] | None) -> dict[str, str]:
    diagnosis = (finding or {}).get("diagnosis") or [{}]
    return diagnosis[0] or {}


def _keys(item: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What this item shares with the items explained by the same cause."""
    op, output, f = item["op"], item["output"], item.get("finding")
    spec = find_op(op)
    if not f:
        message = str(item.get("message") or "")
        return [("message", message)] if message else []
    err = f.get("error") or {}
    if err.get("budget"):
        return [("budget",)]
    if err.get("stage") == "import":
        if err.get("type") == "missing":
            return [("missing", spec.module if spec else op)]
        if err.get("not_implemented"):  # the module imports, the class is missing
            return [("class", spec.module if spec else op, spec.cls if spec else op)]
        where = err.get("file") or err.get("where") or (spec.module if spec else op)
        return [("import", where)]
    if err.get("type") in ("timeout", "crashed"):
        return [("outage", op)]
    if err.get("file") and err.get("line"):
        return [("site", err["file"], err["line"], err.get("type"))]
    if item.get("status") == "not_implemented" or f.get("status") == "not_implemented":
        return [("stub", op, _method(op, output, detail=False) or output)]
    code = _top(f).get("code")
    if code and code not in UNSPECIFIC:  # one named bug of one method: dX, dW and db alike
        return [("code", op, _method(op, output, detail=False) or output, code)]
    return []


def _tier(item: dict[str, Any]) -> int:
    """0 for what stops a module from loading at all; 1 for everything else."""
    err = (item.get("finding") or {}).get("error") or {}
    if not item.get("finding"):
        return 0
    return 0 if err.get("stage") == "import" and not err.get("not_implemented") else 1


class _Groups:
    """Union-find over item indices, remembering which items point at others."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _ref(item: dict[str, Any]) -> dict[str, str]:
    ref = {"op": item["op"], "output": item["output"]}
    if item.get("test"):
        ref["test"] = item["test"]
    return ref


def fix_list_of(items: Iterable[dict[str, Any]], package: str = DEFAULT.package
                ) -> list[dict[str, Any]]:
    """The root causes of the failing ones among `items` (each with ``op``, ``output``,
    ``status`` and, when it failed, ``finding``; a test of grading also ``test``), in the
    order to fix them (see the module docstring for the entries)."""
    failing = [sub for i in items if i.get("status", "pass") != "pass" for sub in _expand(i)]
    # virtual roots: items pointed at that the list does not hold (an activation blamed by
    # a layer when only the layer was checked)
    present = {(i["op"], i["output"]) for i in failing}
    for item in list(failing):
        target = (item.get("finding") or {}).get("caused_by") or {}
        key = (target.get("op"), target.get("output"))
        if target.get("op") and key not in present:
            present.add(key)
            failing.append({"op": key[0], "output": key[1], "status": "fail", "virtual": True})
    n = len(failing)
    groups = _Groups(n)
    points_at: dict[int, set[int]] = {i: set() for i in range(n)}
    why: dict[int, str] = {}
    by_key: dict[tuple[Any, ...], int] = {}
    for i, item in enumerate(failing):
        for key in _keys(item):
            if key in by_key:
                groups.union(by_key[key], i)
                why.setdefault(i, WHY[key[0]])
                why.setdefault(by_key[key], WHY[key[0]])
            else:
                by_key[key] = i
    by_item: dict[tuple[str, str], list[int]] = {}   # what a pointer to (op, output) means
    for i, item in enumerate(failing):
        if not item.get("group"):                      # an item, or its first problem
            by_item.setdefault((item["op"], item["output"]), []).append(i)
    for i, item in enumerate(failing):
        f = item.get("finding") or {}
        targets: list[tuple[str, str]] = []
        if (f.get("caused_by") or {}).get("op"):
            targets.append((f["caused_by"]["op"], f["caused_by"]["output"]))
            reason = WHY["caused_by"]
        elif _top(f).get("code") == "caused_by_forward" and item["output"] != "forward":
            targets.append((item["op"], "forward"))
            reason = WHY["forward"]
        for target in targets:
            for j in by_item.get(target, []):
                if j != i:
                    groups.union(i, j)
                    points_at[i].add(j)
                    why[i] = why[j] = reason
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(groups.find(i), []).append(i)

    def order(i: int) -> tuple[Any, ...]:
        return (_tier(failing[i]), *_op_order(failing[i]["op"], failing[i]["output"]),
                failing[i].get("group") or 0, i)

    entries = []
    for group in members.values():
        pointed = {j for i in group for j in points_at[i]}
        candidates = [i for i in group if not points_at[i] or failing[i].get("virtual")]
        root = min([i for i in candidates if i in pointed] or candidates or group, key=order)
        rest = sorted((i for i in group if i != root), key=order)
        entries += _entries(failing, root, rest, why, package)
    entries.sort(key=lambda e: e.pop("_order"))
    for n_, e in enumerate(entries, 1):
        e["problem"] = n_
    return [{"problem": e.pop("problem"), **e} for e in entries]


def _entries(failing: list[dict[str, Any]], root: int, rest: list[int], why: dict[int, str],
             package: str) -> list[dict[str, Any]]:
    """The entry of one group of items."""
    item = failing[root]
    explains = [i for i in rest if not failing[i].get("virtual")]
    f = item.get("finding")
    if item.get("virtual"):  # the pointer's own message says what to fix and where
        f = failing[explains[0]].get("finding") if explains else None
        cause = _top(f)
        where = _where(item["op"], item["output"], None, package)
    else:
        cause = _top(f) if f else {"code": "", "message": str(item.get("message", ""))}
        where = _where(item["op"], item["output"], f, package)
    refs: list[dict[str, str]] = []
    for i in ([] if item.get("virtual") else [root]) + explains:
        if _ref(failing[i]) not in refs:      # two problems of one item explained together
            refs.append(_ref(failing[i]))
    entry = {"code": cause.get("code", ""), "title": CODES.get(cause.get("code", ""), ""),
             "message": cause.get("message", ""), **where,
             "why": why.get(root, "one output") if len(refs) > 1 else "one output",
             "root": _ref(item), "items": refs,
             "_order": (_tier(item), *_op_order(item["op"], item["output"]),
                        item.get("group") or 0, root)}
    if item.get("virtual"):
        entry["root"]["checked"] = False
    if item.get("group") is not None:
        entry["group"] = item["group"]
        entry["why"] = (f"problem {item['group'] + 1} of {item['groups']} in "
                        f"{item['op']} {item['output']}" + (f"; {entry['why']}"
                                                           if len(refs) > 1 else ""))
    return [entry]


def _expand(item: dict[str, Any]) -> list[dict[str, Any]]:
    """An item, or one item per problem when its finding holds several (``groups``)."""
    f = item.get("finding") or {}
    groups = [g for g in f.get(GROUPS_KEY) or [] if isinstance(g, dict)]
    if len(groups) < 2:
        return [dict(item)]
    out = []
    for k, g in enumerate(groups):
        diagnosis = g.get("diagnosis") if isinstance(g.get("diagnosis"), list) else [g]
        sub = {key: v for key, v in f.items() if key != GROUPS_KEY}
        sub["diagnosis"] = diagnosis
        if k:   # the later problems are not the item's caused_by or forward pointers
            sub.pop("caused_by", None)
        out.append(dict(item, finding=sub, group=k, groups=len(groups)))
    return out


def fix_list(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The fix list of a JSON report (its ``results``); see the module docstring."""
    return fix_list_of(report.get("results", []),
                       package_name(report.get("impl"), report.get("api", DEFAULT.name)))


def attach(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Compute the report's fix list and keep it as ``report["fix_list"]``."""
    report["fix_list"] = fix_list(report)
    return report["fix_list"]


def says(item: dict[str, Any]) -> tuple[Any, ...]:
    """What an item's explanation says: two items of one root cause that say the same need
    it written out once. An exception says where it was raised and what it is (forward and
    backward reaching the same raise say the same); anything else its top diagnosis."""
    f = item.get("finding") or {}
    err = f.get("error") or {}
    if err.get("file") and err.get("line"):
        return ("raised", err["file"], err["line"], err.get("type"), err.get("message"))
    message = _top(f).get("message") if f else item.get("message")
    return ("said", str(message or ""))


def key_of(ref: dict[str, Any]) -> tuple[str, ...]:
    """How an item is named in the fix list: its test's name, else (op, output)."""
    return (ref["test"],) if ref.get("test") else (ref["op"], ref["output"])


def problems(entries: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Item key -> the entries that explain it (usually one)."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for e in entries:
        for ref in e["items"]:
            out.setdefault(key_of(ref), []).append(e)
    return out


def summary_line(entries: list[dict[str, Any]]) -> str:
    """'3 problems explain the 11 failing outputs; fix them in this order.'"""
    items = {key_of(r) for e in entries for r in e["items"]}
    n = len(entries)
    things = f"{n} problem{'s' if n != 1 else ''}"
    outs = f"{len(items)} failing output{'s' if len(items) != 1 else ''}"
    if n == 1:
        return f"1 problem explains the {outs}." if len(items) > 1 else f"1 problem: the {outs}."
    return f"{things} explain the {outs}; fix them in this order."
