"""A draft as TOML text: the header saying it is a draft and how to run it, the [api] table,
each op with the comments that say what was assumed, the ops marked TODO commented out, and
what was not drafted at the end."""

from __future__ import annotations

import json
import re

from harness.tools.adapter_draft.results import Draft, OpDraft

TODO = "TODO(nnparity)"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def value(item: object) -> str:
    """`item` as a TOML value (strings, numbers, booleans, lists and inline tables)."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return repr(item)
    if isinstance(item, str):
        return json.dumps(item, ensure_ascii=False)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(i) for i in item) + "]"
    if isinstance(item, dict):
        if not item:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + " }"
    raise TypeError(f"no TOML value for {item!r}")


def key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _comment(text: str, prefix: str = "# ", width: int = 92, indent: str = "") -> list[str]:
    """`text` as comment lines, wrapped at `width`; lines after the first start with
    `indent` instead of `prefix`."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        lead = indent if lines and indent else prefix
        if line and len(lead) + len(line) + 1 + len(word) > width:
            lines.append(lead + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append((indent if lines and indent else prefix) + line)
    return lines


def op_lines(op: OpDraft, api_module: str) -> list[str]:
    """The [[op]] table of `op`, commented out (with its TODO) when it is one."""
    body = ["[[op]]", f"name = {value(op.name)}", f"twin = {value(op.twin)}",
            f"class = {value(op.cls)}"]
    if op.module != api_module:
        body.append(f"module = {value(op.module)}")
    body += [f"{key(k)} = {value(v)}" for k, v in op.keys]
    head = [f"# {op.cls} ({op.where})"]
    head += [line for note in op.notes for line in _comment(note, "#   - ", indent="#     ")]
    if op.todo:
        head += _comment(f"{TODO}: {op.todo}")
        body = [f"# {line}" for line in body]
    return [*head, *body]


def render(draft: Draft) -> str:
    """The draft adapter file's text."""
    active = sum(not op.todo for op in draft.ops)
    lines = [
        "# nnparity adapter -- DRAFT, written by `nnparity adapter init` from the library's",
        "# source, read as text (never imported or run). Read every entry before you trust a",
        "# verdict: docs/adapter-init.md says what the draft decides and how to finish it.",
        "#",
        f"#   nnparity check --api {draft.out or 'THIS_FILE.toml'} --impl {draft.impl}",
        "#",
        f"# {active} op(s) drafted; {len(draft.ops) - active} marked {TODO} and commented "
        "out (fix, then uncomment).",
    ]
    lines += [line for problem in draft.problems for line in _comment(f"{TODO}: {problem}")]
    lines += ["", "[api]"]
    lines += [f"{key(k)} = {value(v)}" for k, v in draft.api]
    for op in draft.ops:
        lines += ["", *op_lines(op, draft.module)]
    tail = [("Not layers (no forward or backward method, or an abstract one), not drafted",
             draft.not_layers),
            ("Layer classes outside the package, not drafted (one package per adapter)",
             draft.elsewhere),
            ("Files that do not parse", draft.unreadable)]
    for title, items in tail:
        if items:
            lines += ["", *_comment(f"{title}: {', '.join(items)}")]
    return "\n".join(lines) + "\n"
