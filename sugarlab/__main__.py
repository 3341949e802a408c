"""`python -m sugarlab` runs the `sugarlab` command."""

import sys

from sugarlab.cli import main

sys.exit(main())
