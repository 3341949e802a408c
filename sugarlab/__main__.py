"""`python -m sugarlab` runs the `sugarlab` command."""

import sys

from sugarlab.core.cli import main

sys.exit(main())
