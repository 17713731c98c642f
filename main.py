"""``python main.py`` (and ``make run``) opens the Studio window."""

import sys

from studio.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
