"""``python -m kdv_policy`` runs the command line (see :mod:`kdv_policy.cli.main`).

A command's modules are imported with the cyclic collector paused (they make classes and
tables, no garbage), and at the end the collector is told to leave the heap alone
(``gc.freeze``): the interpreter's exit then frees what the command made without searching it
for cycles first, about a tenth of a question's cold start (``python -m benchmarks.coldstart``).
Everything else of an orderly exit happens as usual: output flushed, log handlers closed.
"""

import gc
import sys

from kdv_policy.gcpause import paused

with paused():
    from kdv_policy.cli.main import main

status = main()
gc.freeze()
sys.exit(status)
