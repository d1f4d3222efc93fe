"""``python -m noxus_local`` and the PyInstaller entry point."""

import sys

from noxus_local.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
