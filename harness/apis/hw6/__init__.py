"""The HW6 adapter (Berkeley CS189/289A, ``neural_networks``): everything HW6-specific.

- ops.py: the op table, each op's kind from its module, the parameter shapes it must create;
- runners.py: how the driver runs each kind (activation, layer, loss, model, optimizer,
  initializer, training) on a student's class and its twin alike;
- package.py: its package loader (the package's names and modules);
- model_cases.py, model_eval.py, model_localize.py, optim_diagnose.py: the case families,
  judging and localization of whole models, optimisers and training parity.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from harness.apis.hw6.editions import EDITIONS
from harness.apis.hw6.ops import BASE_MODULES, HW6_OPS, activation, uses
from harness.apis.hw6.package import BUNDLED_DIR, CANONICAL, LOADER
from harness.core.api import Api, Intermediates, Judge, KindRunner

if TYPE_CHECKING:   # (the sandboxed child imports this module, and no rule)
    from harness.core.formula import Rule


# What HW6 provides beyond its tables, imported when first used (the sandboxed child
# imports the runners alone; the judge and the intermediates compute with PyTorch).
def _runners() -> Mapping[str, KindRunner]:
    from harness.apis.hw6.runners import RUNNERS
    return RUNNERS


def _judge() -> Judge:
    from harness.apis.hw6 import model_eval
    return model_eval


def _layer_rules() -> Mapping[str, tuple[Rule, ...]]:
    from harness.apis.hw6.layer_rules import RULES
    return RULES


def _intermediates() -> Intermediates:
    from harness.apis.hw6.intermediates import intermediates
    return intermediates


API = Api("hw6", "Berkeley CS189 HW6 (neural_networks)", CANONICAL,
          ("activations", "layers", "losses", "models"), BUNDLED_DIR,
          (*LOADER.dirs, "activations.py", "losses.py"), LOADER, ops=HW6_OPS,
          base_modules=BASE_MODULES,
          leaf_modules=("optimizers", "weights"),
          runners=_runners, judge=_judge, layer_rules=_layer_rules,
          intermediates=_intermediates,
          rubric=Path(__file__).resolve().parents[2] / "rubrics" / "hw6.toml",
          conventions=True, plain_names=True, editions=EDITIONS, uses=uses,
          activation=activation)
