"""``python -m studio`` is the ``studio`` command."""

from studio.cli.main import main

raise SystemExit(main())
