"""PyInstaller entry point of the floridify-gui executable."""

import sys

from floridify_gui.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
