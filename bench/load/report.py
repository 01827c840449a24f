"""Write the markdown summary of one load run (bench/load/run.sh): per-endpoint percentiles from
Locust's CSV, pooled page/API percentiles, expected refusals, per-process CPU and RSS, log errors."""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

LOG_PATTERNS = ["database is locked", "QueuePool limit", "Traceback", "Internal Server Error", " 500 "]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    out = Path(sys.argv[1])
    header = sys.argv[2] if len(sys.argv) > 2 else ""
    lines = [f"# poolcrm load run {out.name}", "", header, ""]
    rows = _read(out / "locust_stats.csv")
    lines += [
        "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | max ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        lines.append(
            f"| {r['Name'] or r['Type']} | {r['Request Count']} | {r['Failure Count']} "
            f"| {r['50%']} | {r['95%']} | {r['99%']} "
            f"| {float(r['Max Response Time']):.0f} | {float(r['Requests/s']):.1f} |"
        )
    outcomes_path = out / "outcomes.json"
    if outcomes_path.exists():
        outcomes = json.loads(outcomes_path.read_text(encoding="utf-8"))
        lines += [
            "",
            "Pooled (login excluded):",
            "",
            "| kind | requests | failures | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for kind, g in outcomes["groups"].items():
            lines.append(
                f"| {kind} | {g['requests']} | {g['failures']} "
                f"| {g['p50_ms']} | {g['p95_ms']} | {g['p99_ms']} |"
            )
        if outcomes.get("by_minute"):
            lines += [
                "",
                "Minute by minute (the first holds the spawn's burst of sign-ins):",
                "",
                "| minute | requests | page p95 ms | API p95 ms |",
                "|---:|---:|---:|---:|",
            ]
            lines += [
                f"| {m['minute']} | {m['requests']} | {m['page_p95_ms']} | {m['api_p95_ms']} |"
                for m in outcomes["by_minute"]
            ]
        if outcomes["expected"]:
            lines += [
                "",
                "Expected refusals (counted as successes): "
                + ", ".join(f"`{k}` × {v}" for k, v in sorted(outcomes["expected"].items())),
            ]
    fail_path = out / "locust_failures.csv"
    failures = _read(fail_path) if fail_path.exists() else []
    if failures:
        lines += ["", "Failures:", ""]
        lines += [f"- {f['Method']} {f['Name']} × {f['Occurrences']}: {f['Error'][:300]}" for f in failures]
    procs: dict[str, dict] = defaultdict(lambda: {"cpu": [], "rss": 0.0, "role": ""})
    samples = out / "proc.csv"
    if samples.exists():
        for s in _read(samples):
            p = procs[s["pid"]]
            p["cpu"].append(float(s["cpu_percent"]))
            p["rss"] = max(p["rss"], float(s["rss_mb"]))
            p["role"] = s["role"]
    lines += ["", "| process | samples | mean CPU % | max CPU % | max RSS MB |", "|---|---:|---:|---:|---:|"]
    for pid, p in procs.items():
        cpu = p["cpu"] or [0.0]
        lines.append(
            f"| {pid} {p['role']} | {len(cpu)} | {sum(cpu) / len(cpu):.0f} "
            f"| {max(cpu):.0f} | {p['rss']:.0f} |"
        )
    log = (
        (out / "server.log").read_text(encoding="utf-8", errors="replace")
        if (out / "server.log").exists()
        else ""
    )
    lines += ["", "Server log: " + ", ".join(f"`{p.strip()}` × {log.count(p)}" for p in LOG_PATTERNS)]
    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
