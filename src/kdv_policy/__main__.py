"""``python -m kdv_policy`` runs the command line (see :mod:`kdv_policy.cli.main`)."""

import sys

from kdv_policy.cli.main import main

sys.exit(main())
