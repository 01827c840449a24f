"""ASGI entry point for `uvicorn poolcrm.asgi:app` (settings from the environment). The app's own
log lines (`poolcrm.*`: the scheduler's runs and their durations, a busy connection pool, internal
errors) go to stderr at INFO beside uvicorn's, in every worker process. A worker that dies of a
fatal error (a crash inside a C extension) first writes every thread's Python stack there too
(`faulthandler`): uvicorn only says "Child process died" and starts another."""

import faulthandler
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

app = create_app()
