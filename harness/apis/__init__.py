"""APIs: how an implementation reaches the ops.

The ops (the math) and their checks are the harness's; an API says how one family of
implementations exposes them: HW6's ``neural_networks`` classes (harness/core/registry.py's
table, driven by harness/core/driver.py), or CS231n's ``layers.py`` functions (harness/apis/
cs231n.py). `harness.apis.known` lists the APIs, finds one by name and detects one from an
implementation's files; `harness.sandbox.library` imports a function API's modules.
"""
