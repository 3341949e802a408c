"""The `sugarlab` command's process: `python -m sugarlab` and the installed `sugarlab` script.

Two things belong to the process rather than to `sugarlab.app.cli`, whose `main` tests also call:

- jsonschema's `iri` format checker imports rfc3987_syntax, which builds about forty lark parsers as it
  is imported, about a second at every start of the command (python-jsonschema/jsonschema#1428).
  Nothing the command validates uses that format (papermill's notebooks, through nbformat), so the
  process goes without it, and jsonschema skips that checker as it does when the package is missing.
- At exit the interpreter collects its garbage over the ~380,000 objects that papermill, the kubernetes
  client and matplotlib leave: 0.5-0.9 s after a run here. The command's work is done and its files are
  closed by then, so those objects are frozen out of the last collections (`gc.freeze`); atexit
  handlers still run.
"""

import gc
import sys


def console() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None makes an import fail
    from sugarlab.app.cli import main

    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
