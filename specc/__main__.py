"""``python -m specc`` runs the CLI."""

import sys

from specc.cli import main

if __name__ == "__main__":  # not when multiprocessing's spawn imports this as __mp_main__
    sys.exit(main())
