"""`python -m sugarlab` runs the `sugarlab` command."""

import sys

from sugarlab.app.cli import main

sys.exit(main())
