"""``nnparity adapter init``: the command line of the draft generator (wired into
harness/cli.py). Imports nothing heavy at module level, so building nnparity's parser stays
cheap."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = """\
Adapter files: how nnparity checks a library it does not know (docs/adapters.md).

  init   write a draft adapter for the library at --impl: each class matched to the op whose
         math it computes, its arguments, gradients, running statistics, constants and
         layouts read from its source. The library is read as text, never imported or run.
         What the draft cannot decide is commented out with a TODO(nnparity) saying why;
         the rest loads as it is (docs/adapter-init.md)."""

EPILOG = """\
Example:
  nnparity adapter init --impl path/to/checkout --out mylib.toml
  nnparity check --api mylib.toml --impl path/to/checkout"""

INIT_DESCRIPTION = """\
Write a draft adapter file for the library at --impl (a folder holding its package, the
package itself, or one .py file). Classes are matched by name (Affine, Linear, Dense -> the
affine op; Convolution, Conv2d -> conv2d; BatchNormalization, BatchNorm1d -> batchnorm; ...),
arguments by name and by what the code does with them. Nothing of the library is imported or
run. Read the draft before trusting a verdict: every decision it is unsure of is said in a
comment, and what it could not decide is commented out with a TODO(nnparity)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init", help="write a draft adapter for a library, from its source",
        description=INIT_DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    init.add_argument("--impl", metavar="PATH", required=True,
                      help="the library: a folder holding its package (common/layers.py, "
                           "mytorch/nn/...), the package's folder, or one .py file")
    init.add_argument("--out", metavar="FILE",
                      help="write the draft here (default: print it)")
    init.add_argument("--name", metavar="NAME",
                      help="the API's name, which prefixes its ops (NAME:affine) "
                           "(default: from the folder's name)")


def run(args: argparse.Namespace) -> int:
    from harness.pipeline import UsageError
    from harness.tools.adapter_draft.draft import NoClasses, draft_adapter
    from harness.tools.adapter_draft.render import render

    try:
        draft = draft_adapter(args.impl, name=args.name, out=args.out or "")
    except NoClasses as exc:
        raise UsageError(str(exc)) from None
    text = render(draft)
    if not args.out:
        sys.stdout.write(text)
        return 0
    Path(args.out).write_text(text)
    todo = len(draft.ops) - len(draft.active)
    print(f"nnparity: wrote {args.out}: {len(draft.active)} op(s) drafted, {todo} marked "
          f"TODO(nnparity); next: nnparity check --api {args.out} --impl {args.impl}",
          file=sys.stderr)
    return 0
