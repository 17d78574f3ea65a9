"""The HW6 adapter (Berkeley CS189/289A, ``neural_networks``): everything HW6-specific.

- ops.py: the op table, each op's kind from its module, the parameter shapes it must create;
- runners.py: how the driver runs each kind (activation, layer, loss, model, optimizer,
  initializer, training) on a student's class and its twin alike;
- package.py: the package's names and modules, for the package loader;
- model_cases.py, model_eval.py, model_localize.py, optim_diagnose.py: the case families,
  judging and localization of whole models, optimisers and training parity.
"""

from __future__ import annotations

from pathlib import Path

from harness.apis.api import PACKAGE, Api
from harness.apis.hw6.editions import EDITIONS
from harness.apis.hw6.ops import BASE_MODULES, HW6_OPS, uses
from harness.apis.hw6.package import BUNDLED_DIR, CANONICAL, CONTRACT_MODULES, PACKAGE_NAMES

API = Api("hw6", "Berkeley CS189 HW6 (neural_networks)", CANONICAL,
          ("activations", "layers", "losses", "models"), BUNDLED_DIR, "",
          (*PACKAGE_NAMES, "activations.py", "losses.py"), ops=HW6_OPS, loader=PACKAGE,
          package_names=PACKAGE_NAMES, contract_modules=CONTRACT_MODULES, base_modules=BASE_MODULES,
          leaf_modules=("optimizers", "weights"),
          runners="harness.apis.hw6.runners", judge="harness.apis.hw6.model_eval",
          intermediates="harness.apis.hw6.intermediates",
          rubric=Path(__file__).resolve().parents[2] / "rubrics" / "hw6.toml",
          conventions=True, plain_names=True, editions=EDITIONS, uses=uses)
