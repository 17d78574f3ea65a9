"""One class -> its [[op]] entries: the family its name says, then, twin by twin in the
family's order, the class mapped onto the twin (mapping.py). The first twin everything maps
to is taken; when none is, the class is drafted commented out, with why. A class that takes
a mode flag is drafted once per mode (batchnorm's train and test).
"""

from __future__ import annotations

import re

from harness.tools.adapter_draft import catalogue as cat
from harness.tools.adapter_draft.facts import ClassFacts
from harness.tools.adapter_draft.mapping import Builder, Unmapped
from harness.tools.adapter_draft.results import OpDraft

__all__ = ["OpDraft", "draft_class", "family_of", "op_name"]

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[0-9]+")


def op_name(cls: str) -> str:
    """"SoftmaxWithLoss" -> "softmax_with_loss", "Conv2d_stride1" -> "conv2d_stride1",
    "ReLU" -> "relu" (an upper-case tail of one or two letters stays with its word)."""
    words: list[str] = []
    for word in _WORDS.findall(cls):
        if words and word.isupper() and len(word) <= 2 and not words[-1].isupper():
            words[-1] += word
        else:
            words.append(word)
    return "_".join(words).lower() or "op"


def family_of(facts: ClassFacts) -> tuple[str | None, str]:
    """(the family its name or docstring names, or None; why not)."""
    key = cat.norm(facts.name)
    for _ in range(2):
        for affix in cat.AFFIXES:
            key = key.removeprefix(affix) if key != affix else key
            key = key.removesuffix(affix) if key != affix else key
    if key in cat.NO_TWIN:
        return None, cat.NO_TWIN[key]
    if key in cat.CLASSES:
        return cat.CLASSES[key], ""
    prefix = next((p for p in cat.NO_TWIN_PREFIXES if key.startswith(p)), None)
    if prefix is not None:
        return None, cat.NO_TWIN_PREFIXES[prefix]
    head = facts.doc.strip().split("\n")[0].lower()
    if not any(word in head for word in cat.NOT_LAYERS):
        for phrase, family in cat.DOC_PHRASES.items():
            if phrase in head:
                return family, ""
    return None, (f"its name ({facts.name}) is not in the catalogue of op names "
                  "(harness/tools/adapter_draft/catalogue.py)")


def draft_class(facts: ClassFacts, where: str) -> list[OpDraft]:
    """The class's entries: one per twin it computes (batchnorm's train and test modes)."""
    base = OpDraft(op_name(facts.name), facts.name, facts.module.name, where)
    if facts.forward is None:
        return [_todo(base, "it has no forward method")]
    family, why = family_of(facts)
    if family is None:
        return [_todo(base, f"no twin: {why}", facts)]
    failed: list[tuple[str, Builder]] = []
    for name in cat.FAMILIES[family]:
        builder = Builder(facts, name)
        try:
            builder.build()
        except Unmapped as exc:
            failed.append((str(exc), builder))
            continue
        return _modes(facts, base, builder)
    reasons = "; ".join(f"as {b.name}: {r}" for r, b in failed)
    article = "an" if family[0] in "aeiou" else "a"
    return [failed[0][1].draft(base, todo=f"{article} {family} op, but {reasons}")]


def _modes(facts: ClassFacts, base: OpDraft, builder: Builder) -> list[OpDraft]:
    """The class's op and, when it takes a mode flag, its forward-only op in the other mode
    (`catalogue.MODES`)."""
    mode = cat.MODES.get(builder.name)
    if mode is None:
        return [builder.draft(base)]
    other = Builder(facts, mode.twin, forward_only=True, restrict=(mode.other,))
    try:
        other.build()
    except Unmapped:
        return [builder.draft(base)]
    if not {"mode", "eval"} & other.read:
        return [builder.draft(base)]
    if mode.main:
        builder = Builder(facts, builder.name, restrict=(mode.main,))
        builder.build()
    named = OpDraft(f"{base.name}_{mode.suffix}", base.cls, base.module, base.where)
    return [builder.draft(base), other.draft(named)]


def _todo(base: OpDraft, reason: str, facts: ClassFacts | None = None) -> OpDraft:
    keys: list[tuple[str, object]] = []
    if facts is not None:
        for key, params in (("init", facts.init), ("forward", facts.forward),
                            ("backward", facts.backward)):
            if params is not None and (params or key != "init"):
                keys.append((key, [p.name for p in params]))
    return OpDraft(base.name, base.cls, base.module, base.where, keys=tuple(keys),
                   todo=reason)
