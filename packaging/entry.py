"""PyInstaller entry point for the bundle: the same ``edge-counsel`` command as the installed one."""

import sys

from edge_counsel.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
