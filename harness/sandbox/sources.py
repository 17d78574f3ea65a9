"""Where each module of an implementation comes from: the submission, the starter, student_nn.

A submission is imported the way it imports in the student's own checkout: every module and
subpackage it has (``utils/`` with or without ``__init__.py``, ``utils/convolution.py``,
``datasets.py``, helpers of its own) is found under ``neural_networks.`` by Python's ordinary
machinery. `plan_sources` decides, per module, which copy is used:

- a graded module (the rubric's ``graded_modules``; for ``check``, the API's) is always the
  submission's own; when the submission lacks it, it is missing (grading) or borrowed from
  student_nn (``check``, and rubrics that say ``missing_module = "bundled"``);
- a module that is not graded comes from the course's starter code when a starter directory
  is given and has it; otherwise from student_nn when student_nn has that module and defines
  every name that the submission's code imports from it (so a broken starter ``weights.py``
  cannot sink Conv2D); otherwise it is the submission's own copy (so
  ``neural_networks.utils.convolution`` is the submission's own file);
- a module the submission lacks comes from the starter, else from student_nn, else nowhere.

"The submission's code" means the modules that will run from the submission: the graded
ones and, transitively, the submission's own modules they import. The decision is static (the
import statements, read with `ast`), so the parent can print it and the sandboxed child can
follow it without either importing anything. Nothing here imports the implementation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from pathlib import Path

from harness.core.loading import BUNDLED, MISSING, STARTER, SUBMISSION, Origin, Plan, Source
from harness.core.stubs import parsed as parse  # None where the import reports the error


@dataclass(frozen=True)
class PackageLayout:
    """An API's package, as its adapter declares it (HW6's: harness/apis/hw6/package.py)."""

    package: str                  # the name the package is imported as (``neural_networks``)
    dirs: tuple[str, ...]         # the folder names a package may have
    modules: tuple[str, ...]      # every module the contract names
    bundled: Path                 # the bundled correct implementation's package

    def is_bundled(self, package_dir: Path) -> bool:
        return package_dir.resolve() == self.bundled


@dataclass(frozen=True)
class Needs:
    """What the submission's code imports from one top-level module of its package."""

    names: frozenset[str] = frozenset()     # `from .weights import initialize_weights`
    whole: bool = False                     # `from . import utils`, `import ....utils`, `*`
    submodules: frozenset[str] = frozenset()  # `from .utils.convolution import im2col`
    importers: frozenset[str] = frozenset()   # the modules that import it

    def merge(self, other: Needs) -> Needs:
        return Needs(self.names | other.names, self.whole or other.whole,
                     self.submodules | other.submodules, self.importers | other.importers)


# ------------------------------------------------------------------ what a package has
def top_level_modules(package_dir: Path | None) -> dict[str, Path]:
    """Modules and subpackages directly in `package_dir`: name -> file or directory."""
    if package_dir is None or not package_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for p in sorted(package_dir.iterdir()):
        if p.is_file() and p.suffix == ".py" and p.stem != "__init__" and p.stem.isidentifier():
            found[p.stem] = p
        elif p.is_dir() and p.name.isidentifier() and any(p.rglob("*.py")):
            found.setdefault(p.name, p)
    return found


def module_files(path: Path) -> list[Path]:
    """The Python files of a top-level module (one file, or every file of a subpackage)."""
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def defined_names(path: Path) -> frozenset[str] | None:
    """Names a module file binds at its top level (None: it cannot be read or parsed)."""
    tree = parse(path) if path.is_file() else None
    if tree is None:
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


# ------------------------------------------------------------------ what it imports
def _package_parts(file: Path, package_dir: Path) -> list[str]:
    """The package that `file` is in, as parts below the top package ([] for top level)."""
    rel = file.relative_to(package_dir).parts[:-1]
    return list(rel)


def imports_of(file: Path, package_dir: Path, own_names: tuple[str, ...]
               ) -> dict[str, Needs]:
    """What `file` imports from its own package, per top-level module of the package.

    Relative imports and absolute ones through any name the package goes by
    (``neural_networks.``, the directory's own name) count; anything else is outside.
    """
    tree = parse(file)
    if tree is None:
        return {}
    importer = file.relative_to(package_dir).with_suffix("").as_posix().replace("/", ".")
    here = _package_parts(file, package_dir)
    found: dict[str, Needs] = {}

    def add(parts: list[str], names: tuple[str, ...] = (), whole: bool = False) -> None:
        if not parts:   # `from . import X` / `from neural_networks import X`: X is a module
            for n in names:
                add([n], whole=True)
            return
        top, rest = parts[0], parts[1:]
        need = Needs(frozenset() if rest else frozenset(names), whole and not rest,
                     frozenset([".".join(rest)]) if rest else frozenset(),
                     frozenset([importer]))
        if "*" in names and not rest:
            need = Needs(whole=True, importers=frozenset([importer]))
        found[top] = found[top].merge(need) if top in found else need

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level - 1 <= len(here) \
                    else None
                if base is None:
                    continue
                parts = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] in own_names:
                parts = node.module.split(".")[1:]
            else:
                continue
            add(parts, names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                head, *parts = alias.name.split(".")
                if head in own_names and parts:
                    add(parts, whole=True)
    return found


# ------------------------------------------------------------------ the plan
def starter_package(layout: PackageLayout, starter: Path | None) -> Path | None:
    """The package directory of the course's starter code (its neural_networks/ when it has
    one, else the directory itself); shared by the plan and the child's loader."""
    if starter is None:
        return None
    for name in layout.dirs:
        if (starter / name).is_dir():
            return starter / name
    return starter


def _bundled_provides(layout: PackageLayout, module: str, need: Needs,
                      bundled_dir: Path | None = None) -> tuple[bool, str]:
    """Whether the bundled `module` serves everything `need` asks for; and why not."""
    bundled_dir = bundled_dir or layout.bundled
    name = layout.bundled.name
    path = bundled_dir / f"{module}.py"
    if not bundled_dir.is_dir():
        return False, f"{name} is not installed (a student build of nnparity)"
    if not path.is_file():
        return False, f"{name} has no such module"
    who = " and ".join(sorted(need.importers))
    if need.submodules:
        sub = sorted(need.submodules)[0]
        return False, f"{who} imports {module}.{sub}, which {name} does not have"
    if need.whole:
        return False, f"{who} uses the module {module} as a whole"
    defined = defined_names(path) or frozenset()
    missing = sorted(need.names - defined)
    if missing:
        return False, f"{name}'s {module} has no {', '.join(missing)}"
    return True, ""


def plan_sources(layout: PackageLayout, package_dir: Path,
                 graded: tuple[str, ...] | None = None, starter: Path | None = None,
                 missing_graded: Origin = BUNDLED, substitute: tuple[str, ...] = (),
                 bundled_dir: Path | None = None) -> Plan:
    """Decide where each module of the implementation in `package_dir` comes from.

    `graded` None means every module the package has is graded (its own code is used
    throughout); `missing_graded` is what a graded module the package lacks becomes:
    the bundled one (BUNDLED) or MISSING. The modules in `substitute` come from the bundled
    implementation whatever the submission has: they hold an op that fails on its own, and
    the ops checked in this child use it (harness/check/substitute.py); this child never
    checks their ops. `bundled_dir`: where the bundled modules are read (a sandboxed child
    has only the copies `staged_modules` names, which decide every module as the bundled
    package itself does).
    """
    bundled_dir = bundled_dir or layout.bundled
    package_dir = package_dir.resolve()
    if substitute:
        rest = None if graded is None else tuple(m for m in graded if m not in substitute)
        plan = plan_sources(layout, package_dir, rest, starter, missing_graded, (),
                            bundled_dir)
        swapped = {m: Source(m, BUNDLED, "substituted: an op of it fails on its own")
                   for m in substitute}
        return replace(plan, sources={**plan.sources, **swapped},
                       running=plan.running - set(substitute))
    if package_dir == layout.bundled:
        own = top_level_modules(package_dir)
        return Plan({m: Source(m, SUBMISSION, "the bundled implementation") for m in own},
                    frozenset(own))
    own = top_level_modules(package_dir)
    starter_pkg = starter_package(layout, starter)
    starter_has = top_level_modules(starter_pkg)
    graded_set = set(own) if graded is None else set(graded)
    names = tuple(dict.fromkeys([layout.package, package_dir.name]))

    decided: dict[str, Source] = {}
    for m in sorted(set(own) | set(layout.modules) | set(starter_has)):
        if m in graded_set:
            if m in own:
                decided[m] = Source(m, SUBMISSION, "graded")
            elif missing_graded == BUNDLED and (bundled_dir / f"{m}.py").is_file():
                decided[m] = Source(m, BUNDLED, "graded, missing from the submission")
            else:
                decided[m] = Source(m, MISSING, "graded, missing from the submission")
        elif m in starter_has:
            decided[m] = Source(m, STARTER, "not graded: the course's starter code")

    # The rest: the bundled module when it serves every import of the code that runs from
    # the submission (the graded modules and the submission's own modules they reach), else
    # the submission's own copy. Taking a module from the submission can add its imports to
    # what must be served, so repeat until nothing more runs from the submission.
    undecided = [m for m in sorted(set(own) | set(layout.modules)) if m not in decided]
    running = {m for m, s in decided.items() if s.origin == SUBMISSION}
    while True:
        needs = _needs(running, own, package_dir, names)
        for m in undecided:
            decided[m] = _decide(layout, m, needs.get(m), m in own, bundled_dir)
        reached = {m for m in undecided if decided[m].origin == SUBMISSION and m in needs}
        if reached <= running:
            return Plan(dict(sorted(decided.items())), frozenset(running))
        running |= reached


def own_graded(plan: Plan, graded: tuple[str, ...] | None) -> frozenset[str]:
    """The graded modules the implementation provides itself: the bundled code that runs
    beside them (a borrowed models.py) imports these, never the bundled package's own."""
    return frozenset(m for m, s in plan.sources.items()
                     if s.origin == SUBMISSION and (graded is None or m in graded))


def staged_modules(layout: PackageLayout, plan: Plan, graded: tuple[str, ...] | None
                   ) -> list[str]:
    """The bundled modules a child needs, and nothing more: those the plan borrows and,
    transitively, the bundled modules they import, except the implementation's own graded
    modules (`own_graded`). A child never holds the bundled version of what it grades."""
    own = own_graded(plan, graded)
    todo = [m for m in plan.borrowed(BUNDLED) if m not in own]
    staged: list[str] = []
    while todo:
        module = todo.pop()
        path = layout.bundled / f"{module}.py"
        if module in staged or not path.is_file():
            continue
        staged.append(module)
        todo += [m for m in imports_of(path, layout.bundled, (layout.bundled.name,))
                 if m not in own]
    return sorted(staged)


def substitutable(layout: PackageLayout, package_dir: Path, module: str,
                  graded: tuple[str, ...] | None) -> bool:
    """Whether the bundled `module` can stand in for the submission's: it serves every name
    the rest of the code that runs imports from it (a model importing a helper only its own
    optimizers.py has cannot run with the bundled one). A module imported whole (``from .
    import activations``) is taken to be used through the contract's names, which the
    bundled one has."""
    package_dir = package_dir.resolve()
    if package_dir == layout.bundled:
        return True
    own = top_level_modules(package_dir)
    running = set(plan_sources(layout, package_dir, graded).running) - {module}
    names = tuple(dict.fromkeys([layout.package, package_dir.name]))
    need = _needs(running, own, package_dir, names).get(module) or Needs()
    return _bundled_provides(layout, module, replace(need, whole=False))[0]


def _needs(running: set[str], own: dict[str, Path], package_dir: Path,
           names: tuple[str, ...]) -> dict[str, Needs]:
    needs: dict[str, Needs] = {}
    for m in sorted(running):
        for f in module_files(own[m]):
            for top, need in imports_of(f, package_dir, names).items():
                if top != m:
                    needs[top] = needs[top].merge(need) if top in needs else need
    return needs


def _decide(layout: PackageLayout, module: str, need: Needs | None, has_own: bool,
            bundled_dir: Path) -> Source:
    ok, why = _bundled_provides(layout, module, need or Needs(), bundled_dir)
    if ok and not has_own:
        return Source(module, BUNDLED, "missing from the submission")
    if ok:
        what = (f"{layout.bundled.name} provides {', '.join(sorted(need.names))}"
                if need and need.names else "the graded code imports nothing from it")
        return Source(module, BUNDLED, f"not graded; {what}")
    if has_own:
        return Source(module, SUBMISSION, f"not graded; the submission's own copy: {why}")
    return Source(module, MISSING, f"missing from the submission, and {why}")
