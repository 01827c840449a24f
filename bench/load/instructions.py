"""Instructions per request, counted by valgrind (issue 22): comparable between two versions of the
code on a noisy, shared machine, where CPU times of a few per cent are not.

    .venv/bin/python bench/load/instructions.py DB_URL [--user sales0300] [--times 10] PATH...

Runs this script's own `--serve` part twice under `valgrind --tool=callgrind`: once with only the
warm-up (each PATH 5 times, after signing in), once with the warm-up and then each PATH `--times`
times; the difference divided by the requests made is the instructions per request, start-up
and first-time compiles excluded. In process, through `TestClient`: the app's work on a request,
not the server's or the network's. Another version of the code: `PYTHONPATH=<tree>/src`. A path
under /api is asked with the user's token, any other with their page session; every answer must
be 200. Each valgrind run takes a few minutes (the start-up dominates).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys

from fastapi.testclient import TestClient

from poolcrm.app import create_app
from poolcrm.config import Settings

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo12345")
WARM_UP = 5


def serve(db: str, user: str, times: int, paths: list[str]) -> None:
    with TestClient(create_app(Settings(db_url=db, run_scheduler=False))) as client:
        sign_in = {"username": user, "password": PASSWORD, "next": "/"}
        client.post("/login", data=sign_in, follow_redirects=False)
        token = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for rounds in (WARM_UP, times):
            # what the warm-up made lives on, out of the collector's walks, as a worker does it
            # (`poolcrm.asgi`): a full collection of the whole heap falling into one run and not
            # the other moved a count by millions of instructions
            gc.collect()
            gc.freeze()
            for path in paths:
                for _ in range(rounds):
                    answer = client.get(path, headers=headers if path.startswith("/api/") else {})
                    if answer.status_code != 200:
                        raise SystemExit(f"{path}: {answer.status_code}")


def counted(db: str, user: str, times: int, paths: list[str]) -> int:
    """The instructions of one run of `serve` under callgrind."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    command += ["--serve", db, "--user", user, "--times", str(times), *paths]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:  # the run's own message (a refused path, say)
        raise SystemExit(done.stderr[-2000:])
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--user", default="sales0300")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.db, args.user, args.times, args.paths)
        return
    base = counted(args.db, args.user, 0, args.paths)
    total = counted(args.db, args.user, args.times, args.paths)
    per_request = (total - base) / (args.times * len(args.paths))
    print(f"{per_request / 1e6:.2f} M instructions per request ({args.times} × {len(args.paths)} requests)")


if __name__ == "__main__":
    main()
