"""``python -m kdv_policy`` runs the command line (see :mod:`kdv_policy.cli`)."""

import sys

from .cli import main

sys.exit(main())
