"""``python -m specc`` runs the CLI."""

import sys

from specc.cli import main

sys.exit(main())
