"""ASGI entry point for `uvicorn poolcrm.asgi:app` (settings from the environment). The app's own
log lines (`poolcrm.*`: the scheduler's runs and their durations, a busy connection pool, internal
errors) go to stderr at INFO beside uvicorn's, in every worker process. A worker that dies of a
fatal error (a crash inside a C extension) first writes every thread's Python stack there too
(`faulthandler`): uvicorn only says "Child process died" and starts another."""

import faulthandler
import gc
import logging

from poolcrm.app import create_app

_log = logging.getLogger("poolcrm")
if not _log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s %(message)s"))
    _log.addHandler(_handler)
    _log.setLevel(logging.INFO)
if not faulthandler.is_enabled():
    faulthandler.enable()

GC_THRESHOLDS = (20_000, 20, 20)
"""The cyclic garbage collector's generation thresholds in a worker (CPython's are 700, 10, 10). A
request allocates thousands of objects (ORM rows, their states, the page), so at 700 the collector
ran several times per request; the objects made while starting (modules, mappers, compiled
statements, templates) are frozen out of its walk (`gc.freeze`). Issue 22, the load mix at 120
users: 4 % less CPU per request in two of two pairs of runs."""

app = create_app()
gc.freeze()  # what starting made lives as long as the process: the collector no longer walks it
gc.set_threshold(*GC_THRESHOLDS)
