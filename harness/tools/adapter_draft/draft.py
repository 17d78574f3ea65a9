"""A library -> its draft adapter: every class drafted (`match.draft_class`), the [api] table
(the package, the module most ops are in, the folders its imports need on sys.path), and the
draft loaded by nnparity's own adapter loader before it is handed over, an op the loader
refuses being commented out with the loader's message: a draft loads as it is.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from harness.apis.user import load_adapter
from harness.core.registry import APIS
from harness.tools.adapter_draft.facts import Reader
from harness.tools.adapter_draft.match import draft_class, family_of
from harness.tools.adapter_draft.render import render
from harness.tools.adapter_draft.results import Draft, OpDraft
from harness.tools.adapter_draft.source import Library, identifier, read_library, sys_path_entries


class NoClasses(ValueError):
    """--impl holds no Python class to draft an adapter for."""


def draft_adapter(impl: str | Path, name: str | None = None, out: str = "",
                  validate: bool = True) -> Draft:
    """The draft adapter of the library at `impl` (read, never imported); `name` its API's
    name (default: from the folder's name); `validate`: load it with nnparity's loader and
    comment out the ops it refuses."""
    path = Path(impl).expanduser()
    if not path.exists():
        raise NoClasses(f"--impl {impl}: no such file or directory")
    library = read_library(path)
    modules = [m for m in library.modules if library.only in (None, m.name)]
    if not any(True for m in modules for _ in m.classes()):
        raise NoClasses(f"--impl {impl}: no Python class found in "
                        f"{len(modules)} file(s) under it; point --impl at the library's folder")
    reader = Reader(library)
    ops: list[OpDraft] = []
    not_layers: list[str] = []
    for module in modules:
        for node in module.classes():
            facts = reader.facts(module, node)
            if facts.forward is None and facts.backward is None or (
                    facts.abstract and family_of(facts)[0] is None):
                not_layers.append(f"{module.name}.{node.name}")
            else:
                ops += draft_class(facts, library.relative(module, node.lineno))
    draft = _assemble(library, _unique(ops), name, out, tuple(not_layers))
    return validated(draft) if validate else draft


def _unique(ops: list[OpDraft]) -> tuple[OpDraft, ...]:
    seen: Counter[str] = Counter()
    out = []
    for op in ops:
        seen[op.name] += 1
        out.append(op if seen[op.name] == 1 else replace(op, name=f"{op.name}_{seen[op.name]}"))
    return tuple(out)


def _assemble(library: Library, ops: tuple[OpDraft, ...], name: str | None, out: str,
              not_layers: tuple[str, ...]) -> Draft:
    counted = Counter(op.module for op in ops if not op.todo) or Counter(op.module for op in ops)
    module = counted.most_common(1)[0][0] if counted else library.modules[0].name
    folder = library.root.parent if library.only else library.root
    api: list[tuple[str, object]] = [
        ("name", api_name(name or folder.name)),
        ("title", f"{library.package} ({library.root.name}), drafted by nnparity adapter init"),
        ("package", library.package), ("module", module)]
    entries = sys_path_entries(library)
    if entries:
        api.append(("path", list(entries)))
    return Draft(library.root, tuple(api), module, ops, not_layers, library.elsewhere,
                 library.unreadable, out=out)


def api_name(text: str) -> str:
    """An identifier no registered API has."""
    name = identifier(text, "draft")
    return name if name not in APIS else f"{name}_draft"


_OP = re.compile(r"\[\[op\]\] (\w+)")


def validated(draft: Draft) -> Draft:
    """`draft` as nnparity's adapter loader takes it: each op it refuses commented out with
    the loader's message, until the rest loads."""
    for _ in range(len(draft.ops) + 1):
        error = load_error(draft)
        if error is None:
            return draft
        found = _OP.search(error)
        culprit = found.group(1) if found else None
        if culprit not in {op.name for op in draft.active}:
            return replace(draft, problems=(*draft.problems,
                                            f"nnparity could not load this draft: {error}"))
        draft = replace(draft, ops=tuple(
            replace(op, todo=f"nnparity's loader refused it: {error}")
            if op.name == culprit and not op.todo else op for op in draft.ops))
    return draft


def load_error(draft: Draft) -> str | None:
    """What nnparity's loader says of the draft (None: it loads, or there is no op)."""
    if not draft.active:
        return None
    name = str(dict(draft.api)["name"])
    with tempfile.TemporaryDirectory(prefix="nnparity-draft-") as tmp:
        path = Path(tmp) / "draft.toml"
        path.write_text(render(draft))
        try:
            load_adapter(path)
        except Exception as exc:  # noqa: BLE001 - whatever refuses it is said, with the op
            return str(exc).replace(str(path.resolve()), "draft").replace(str(path), "draft")
        finally:
            registered = APIS.get(name)
            if registered is not None and registered.adapter == str(path.resolve()):
                del APIS[name]   # a trial load: the draft is not an API of this process
    return None
