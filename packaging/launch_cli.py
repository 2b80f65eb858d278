"""PyInstaller entry point of the floridify command-line executable."""

import sys

from floridify_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
