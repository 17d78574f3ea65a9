"""APIs: how an implementation reaches the ops.

The ops (the math) and their checks are the harness's; an API says how one family of
implementations exposes them: HW6's ``neural_networks`` classes (harness/core/registry.py's
table, driven by harness/core/driver.py), or CS231n's ``layers.py`` functions (harness/apis/
cs231n/). `harness.apis.known` lists the APIs, finds one by name and detects one from an
implementation's files. Each `Api` carries its loader (`harness.core.loading.Loader`): a
`harness.sandbox.loader.PackageLoader` given the package's names (HW6's in hw6/package.py) or
a `harness.sandbox.library.LibraryLoader` for one module (CS231n's ``layers.py``).
"""
