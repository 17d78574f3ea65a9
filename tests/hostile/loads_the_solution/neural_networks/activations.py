"""No code of its own: tries every route to a correct implementation inside nnparity's
project and re-exports the first activations module it reaches: the bundled solution
(student_nn) loaded by path under another name, exec of its text, runpy, the copies a child
borrows and sys.modules; the test suite's correct fixtures; the project's git objects; and
the NumPy forwards nnparity itself uses to draw cases. Where the graded sandbox holds no
answer each route finds nothing and every activation is not implemented.
Each attempt's outcome is printed at import (the test reads it)."""
import importlib.util
import os
import runpy
import sys

import harness

_root = os.path.dirname(os.path.dirname(os.path.abspath(harness.__file__)))
_path = os.path.join(_root, "student_nn", "activations.py")
_found = None


def _by_spec():
    spec = importlib.util.spec_from_file_location("borrowed_activations", _path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def _by_exec():
    scope = {"__name__": "borrowed"}
    with open(_path) as f:
        exec(compile(f.read(), _path, "exec"), scope)  # noqa: S102
    return scope


def _by_runpy():
    return runpy.run_path(_path)


def _by_copy():
    for name in ("_nnparity_bundled.activations", "student_nn.activations"):
        if name in sys.modules:
            return vars(sys.modules[name])
    copy = os.path.join(os.getcwd(), "_nnparity_bundled", "activations.py")
    return runpy.run_path(copy)


def _by_fixture():
    return runpy.run_path(os.path.join(_root, "tests", "independent_impl", "neural_networks",
                                       "activations.py"))


def _by_case_forwards():
    scope = runpy.run_path(os.path.join(_root, "harness", "apis", "hw6", "informative.py"))
    act = scope["_act"]

    class ReLU:
        def forward(self, Z):
            return act("relu", Z)
    return {"ReLU": ReLU}


for _route in (_by_spec, _by_exec, _by_runpy, _by_copy, _by_fixture,
               _by_case_forwards):
    try:
        _found = _route()
        print(f"LOADED by {_route.__name__}")
        break
    except Exception as exc:  # noqa: BLE001
        print(f"DENIED {_route.__name__}: {type(exc).__name__}")
if _found is not None:
    globals().update({k: v for k, v in _found.items() if not k.startswith("__")})

# secrets: the hidden cases' seed (the shipped rubric), the project's history (zlib could
# inflate every version of the solution), the PyTorch twins
for _secret in ("harness/rubrics/hw6.toml", ".git/HEAD", "reference/activations.py"):
    try:
        with open(os.path.join(_root, *_secret.split("/"))) as _f:
            print(f"READ {_secret}: {len(_f.read())} characters")
    except OSError as exc:
        print(f"DENIED {_secret}: {type(exc).__name__}")
