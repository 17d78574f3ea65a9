"""One class onto one twin, key by key: each argument of __init__, forward and backward
mapped through the catalogue to an expression over the twin's names, the parameters
__init__ creates itself assigned after construction in their layout, the gradients backward
leaves and the statistics forward keeps read back, the library's constants and variants
declared, and the cases restricted to those the class can take. Whatever does not fit
raises `Unmapped`, with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.apis.adapter_catalogue import VARIANTS
from harness.tools.adapter_draft import catalogue as cat
from harness.tools.adapter_draft.facts import ClassFacts, Created
from harness.tools.adapter_draft.results import OpDraft
from harness.tools.adapter_draft.syntax import Param
from harness.tools.adapter_draft.twins import MIN_SHARE, Twin, names, share, twin

# The order an op's keys are written in, after name, twin, class and module.
KEYS = ("init", "forward", "backward", "grads", "state", "sets", "makers", "constants",
        "conventions", "layout", "local", "restrict", "tolerance")
PARAMETER_ROLES = ("weight", "bias", "gamma", "beta", "running_mean", "running_var")


class Unmapped(Exception):   # noqa: N818 - not an error: the reason a twin does not fit
    """Why a twin does not fit the class (said in the draft's TODO)."""


@dataclass
class Call:
    positional: list[str] = field(default_factory=list)
    keywords: dict[str, str] = field(default_factory=dict)

    def value(self) -> list[object]:
        return [*self.positional, *([dict(self.keywords)] if self.keywords else [])]


class Builder:
    """Maps one class onto one twin, key by key; `Unmapped` when something does not fit."""

    def __init__(self, facts: ClassFacts, twin_name: str, forward_only: bool = False,
                 restrict: tuple[str, ...] = ()) -> None:
        self.facts, self.forward_only, self.name = facts, forward_only, twin_name
        self.twin: Twin | None = twin(twin_name)
        self.calls = {"init": Call(), "forward": Call(), "backward": Call()}
        self.backward: bool = not forward_only and facts.backward is not None
        self.tables: dict[str, dict[str, object]] = {k: {} for k in (
            "grads", "state", "sets", "makers", "constants", "conventions", "layout")}
        self.local = ""
        self.restrict: list[str] = [r for r in restrict if r]
        self.notes: list[str] = []
        self.read: set[str] = set()       # the twin's names some argument reads
        self.supplied: set[str] = set()   # the twin's inputs the class is given as they are
        self.tolerance = ""
        self.done: set[str] = set()   # the calls mapped (a partial draft shows the others raw)

    # ---------------------------------------------------------------- the steps
    def build(self) -> None:
        t = self._twin()
        required = cat.REQUIRES.get(t.name)
        if required is not None and getattr(self.facts, required[0]) != required[1]:
            raise Unmapped(required[2])
        self._call("init", self.facts.init)
        self._call("forward", self.facts.forward or ())
        if self.backward:
            self._call("backward", self.facts.backward or ())
            self._upstream()
        self._attributes()
        self._outputs()
        self._constants()
        self._restrictions()
        self._needs()

    def _twin(self) -> Twin:
        if self.twin is None:
            raise Unmapped("nnparity has no such twin")
        return self.twin

    def option(self, role: str) -> cat.Option | None:
        """The first expression of `role` that the twin can read."""
        t = self._twin()
        for option in cat.OPTIONS.get(role, ()):
            if names(option.expression) <= t.names and (
                    not option.restrict or names(option.restrict) <= t.restrictable):
                return option
        return None

    def role(self, param: Param, method: str, index: int) -> str | None:
        role = cat.ARGUMENTS.get(cat.norm(param.name))
        if role == "prob":
            role = "drop_prob" if self.facts.mask_means == "drop" else "keep_prob"
            if self.facts.mask_means is None:
                self.notes.append(f"{param.name} read as the keep probability (the mask's "
                                  "draw was not found): check it")
        if role is None and index == 0 and method in ("forward", "backward"):
            role = "data" if method == "forward" else "upstream"
            self.notes.append(f"{method}'s first argument {param.name} read as the "
                              f"{'input' if role == 'data' else 'upstream gradient'}")
        return role

    def _call(self, method: str, params: tuple[Param, ...]) -> None:
        call = self.calls[method]
        self.done.add(method)
        for index, param in enumerate(params):
            role = self.role(param, method, index)
            option = self.option(role) if role else None
            if option is None:
                self._unmapped(method, param, role)
                continue
            expression = self._flat(option.expression)
            self.read |= names(expression)
            if expression in self._twin().inputs:
                self.supplied.add(expression)
            if option.restrict:
                self.restrict.append(option.restrict)
            if role in cat.MAKERS:
                self.tables["makers"][param.name] = expression
            elif param.default is None:
                call.positional.append(expression)
            else:
                call.keywords[param.name] = expression

    def _flat(self, expression: str) -> str:
        return cat.FLAT_FORMS.get(expression, expression) if self.facts.flattens else expression

    def _unmapped(self, method: str, param: Param, role: str | None) -> None:
        t = self._twin()
        if param.default is not None:
            self.notes.append(f"{method}'s {param.name} left at its default "
                              f"({param.default}): {t.name} has no counterpart")
            return
        what = ("its name is not in the catalogue" if role is None
                else f"it is the {role.replace('_', ' ')}, which {t.name} has not")
        raise Unmapped(f"{method}'s argument {param.name}: {what}")

    def _upstream(self) -> None:
        """backward() with no upstream gradient: a loss's, or an activation's local
        derivative (nnparity multiplies it by the twin's upstream gradient)."""
        t = self._twin()
        upstream = t.first(tuple(o.expression for o in cat.OPTIONS["upstream"]))
        if t.loss or upstream is None or upstream in self.read:
            return
        if t.name not in cat.LOCAL_OK:
            raise Unmapped("backward takes no upstream gradient")
        self.local = upstream
        self.notes.append("backward() returns the local derivative (no upstream gradient)")

    def _attributes(self) -> None:
        """Parameters __init__ creates itself (zeros of a shape it is given): assigned after
        construction (`sets`), in the library's layout when their shape says it differs."""
        for created in self.facts.created:
            role = cat.ARGUMENTS.get(cat.norm(created.name))
            option = self.option(role) if role in PARAMETER_ROLES else None
            if option is None or created.param is not None or created.cls is not None:
                continue
            name = option.expression
            if name in self.supplied:   # given through the constructor or a maker
                continue
            self.tables["sets"][created.name] = name
            self.read.add(name)
            self.supplied.add(name)
            if name in cat.OPTIONAL_INPUTS:
                self.restrict.append(cat.OPTIONAL_INPUTS[name])
            self._layout(name, created)

    def _layout(self, name: str, created: Created) -> None:
        t = self._twin()
        expected = cat.SHAPES.get(t.name, {}).get(name)
        if expected is None:
            return
        sizes = {p.name: cat.SIZES.get(cat.ARGUMENTS.get(cat.norm(p.name), ""), "?")
                 for p in self.facts.init}
        got = tuple(d if d == "1" else sizes.get(d, "?") for d in created.shape or ("?",))
        if "?" in got:
            self.notes.append(f"{created.name}'s shape was not read: assumed the twin's "
                              f"({', '.join(expected)})")
            return
        layout = layout_name(got, expected)
        if layout is None:
            raise Unmapped(f"{created.name} is ({', '.join(got)}) where {t.name}'s {name} is "
                           f"({', '.join(expected)}): no layout says so")
        if layout:
            self.tables["layout"][name] = layout

    def _outputs(self) -> None:
        t = self._twin()
        if self.backward:
            own = [(a, a) for a in sorted(self.facts.backward_sets)]
            nested = [(p.rsplit(".", 1)[1], p) for p in self.facts.nested_grads]
            for attribute, path in own + nested:
                role = cat.GRADIENTS.get(cat.norm(attribute), "")
                output = _first_of(cat.GRADIENT_OUTPUTS.get(role, ()), t.outputs)
                if output is not None:
                    self.tables["grads"].setdefault(output, path)
            self.tables["grads"] = {o: self.tables["grads"][o] for o in t.outputs
                                    if o in self.tables["grads"]}
            missing = [o for o in t.outputs if o in cat.OUTPUT_OF and o.startswith("d")
                       and o not in self.tables["grads"]]
            if missing:
                self.notes.append(f"no attribute of backward found for {', '.join(missing)}: "
                                  "not checked")
        for attribute in sorted(self.facts.forward_sets):
            role = cat.ARGUMENTS.get(cat.norm(attribute), "")
            output = _first_of(cat.STATE_OUTPUTS.get(role, ()), t.outputs)
            if output is not None:
                self.tables["state"].setdefault(output, attribute)
        layout = self.tables["layout"]
        for output in (*self.tables["grads"], *self.tables["state"]):
            source = _first_of(cat.OUTPUT_OF.get(output, ()), tuple(layout))
            if source is not None and output not in layout:
                layout[output] = layout[source]

    def _constants(self) -> None:
        t, facts = self._twin(), self.facts
        if "eps" in t.params and "eps" not in self.read:
            if facts.eps is not None:
                self.tables["constants"]["eps"] = facts.eps
            else:
                self.notes.append(f"no eps found in its math: the twin's "
                                  f"({dict(t.defaults).get('eps')}) is used")
        if "momentum" in t.params and "momentum" not in self.read:
            fixed = next((c.constant for c in facts.created if c.constant is not None
                          and cat.ARGUMENTS.get(cat.norm(c.name)) == "momentum"), None)
            if fixed is not None:
                self.tables["constants"]["momentum"] = fixed
        self._conventions(t)
        if facts.float32:
            self.tolerance = "float32"
            self.notes.append("it computes in float32 (dtype float32 or 'f')")

    def _conventions(self, t: Twin) -> None:
        facts = self.facts
        if facts.log_offset is not None:
            if t.name in VARIANTS["log_offset"].twins:
                self.tables["conventions"]["log_offset"] = facts.log_offset
            else:
                self.notes.append(f"its log adds {facts.log_offset:g}; {t.name} has no "
                                  "log_offset variant: expect differences of that size")
        if t.name in VARIANTS["dropout"].twins and not facts.divides:
            self.tables["conventions"]["dropout"] = "non-inverted"

    def _restrictions(self) -> None:
        t = self._twin()
        if t.name in cat.FLAT_INPUT and not self.facts.flattens:
            self.restrict.append(cat.FLAT_INPUT[t.name])
        for param in sorted(t.params - self.read - set(self.tables["constants"])):
            restriction = cat.UNSET.get(param)
            if restriction and names(restriction) <= t.restrictable:
                self.restrict.append(restriction)
        self.restrict = list(dict.fromkeys(self.restrict))
        kept = share(t.name, tuple(self.restrict))
        if kept < MIN_SHARE:
            raise Unmapped(f"only {kept:.0%} of its cases meet {' and '.join(self.restrict)}")

    def _needs(self) -> None:
        """What the twin cannot go without: its data input, its labels, its parameters."""
        t = self._twin()
        for role, what in (("data", "input"), ("labels", "labels")):
            needed = t.first(tuple(o.expression for o in cat.OPTIONS[role]))
            if needed is not None and needed not in self.read:
                raise Unmapped(f"no argument is its {what} ({needed})")
        missing = sorted(t.inputs & set(cat.PARAMETER_INPUTS) - self.supplied)
        if missing:
            raise Unmapped(f"{t.name}'s {', '.join(missing)} reach the class through no "
                           "argument and no attribute __init__ creates")

    # ---------------------------------------------------------------- the entry
    def draft(self, base: OpDraft, todo: str = "") -> OpDraft:
        keys: list[tuple[str, object]] = []
        calls = {m: self.calls[m].value() if m in self.done else
                 [p.name for p in getattr(self.facts, m) or ()] for m in self.calls}
        values = {**calls, "backward": calls["backward"] if self.backward else False,
                  **self.tables, "local": self.local, "restrict": self.restrict,
                  "tolerance": self.tolerance}
        for key in KEYS:
            value = values[key]
            if key == "backward" or value not in ([], {}, ""):
                keys.append((key, value))
        return OpDraft(base.name, base.cls, base.module, base.where, self.name, tuple(keys),
                       tuple(dict.fromkeys(self.notes)), todo)


def _first_of(candidates: tuple[str, ...], present: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in present), None)


def layout_name(got: tuple[str, ...], expected: tuple[str, ...]) -> str | None:
    """The layout that takes the twin's shape to the library's: the empty name when they
    are the same, None when no layout does."""
    if got == expected:
        return ""
    if len(got) == 2 and got == expected[::-1] and len(expected) == 2:
        return "transposed"
    if len(expected) == 1 and got == (expected[0], "1"):
        return "column"
    if len(expected) == 1 and got == ("1", expected[0]):
        return "row"
    return None
