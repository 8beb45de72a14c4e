"""gunicorn config for ``bench_sync.py --profile``: cProfile each central worker.

Each worker writes ``central-<pid>.prof`` into $TIP_BENCH_PROFILE_DIR when it exits. The
production hooks (app/gunicorn_conf.py) run as well.
"""

import cProfile
import os
from pathlib import Path

from app.gunicorn_conf import post_worker_init  # noqa: F401 - gunicorn reads the hook from this module

_profiler = cProfile.Profile()


def post_fork(server, worker):  # noqa: ANN001, ANN201, ARG001 - gunicorn's hook signature
    _profiler.enable()


def worker_exit(server, worker):  # noqa: ANN001, ANN201, ARG001
    _profiler.disable()
    out = Path(os.environ["TIP_BENCH_PROFILE_DIR"]) / f"central-{os.getpid()}.prof"
    _profiler.dump_stats(out)
