"""``python -m cnnkit`` runs the ``cnnkit`` command."""

import sys

from cnnkit.cli import main

sys.exit(main())
