"""Sample the CPU % and RSS of a server process and its children every INTERVAL seconds into a CSV
(until the parent process ends or the sampler is killed)."""

from __future__ import annotations

import csv
import sys
import time

import psutil


def main() -> None:
    pid, out, interval = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    root = psutil.Process(pid)
    procs: dict[int, psutil.Process] = {}
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "pid", "role", "cpu_percent", "rss_mb"])
        t0 = time.time()
        while root.is_running():
            try:
                current = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in current:
                if p.pid not in procs:
                    procs[p.pid] = p
                    p.cpu_percent(None)  # the first call primes the counter
                    continue
                p = procs[p.pid]  # noqa: PLW2901 - the object that holds the previous CPU reading
                try:
                    cmd = " ".join(p.cmdline())
                    role = (
                        "supervisor"
                        if p.pid == pid
                        else "resource_tracker"
                        if "resource_tracker" in cmd
                        else "worker"
                    )
                    w.writerow(
                        [
                            round(time.time() - t0, 1),
                            p.pid,
                            role,
                            p.cpu_percent(None),
                            round(p.memory_info().rss / 2**20, 1),
                        ]
                    )
                except psutil.NoSuchProcess:
                    procs.pop(p.pid, None)
            f.flush()
            time.sleep(interval)


if __name__ == "__main__":
    main()
