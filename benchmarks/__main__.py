"""python -m benchmarks [--scales small,medium,large] [--systems ...] [--out benchmarks/results/latest.json]

See benchmarks/run.py and docs/performance.md.
"""

import sys

from .run import main

sys.exit(main())
