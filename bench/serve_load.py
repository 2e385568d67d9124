"""Load test of ``specc serve`` with Debian's ``hey``, against 127.0.0.1 only.

    .venv/bin/python bench/serve_load.py --runs RUN_DIR [RUN_DIR ...] [--requests 2000]
        [--duration-cap 60] [--out bench/serve_results.json]

Starts the server in this process (uvicorn in a thread on 127.0.0.1, a free port; default
:class:`specc.serve.app.ServeLimits`, so 2 ms of micro-batching wait), then per served
model:

* an untimed warm-up (``hey -n 100 -c 8``: model tracing, connection set-up);
* closed loop at concurrency 1, 8 and 32: ``hey -n REQUESTS -c C`` (hey sends REQUESTS
  rounded down to a multiple of C), each stopped after ``--duration-cap`` seconds (Ctrl-C
  to hey, which then reports what it measured);
* a fixed rate: ``hey -z 20s -c 1 -q 50`` (50 requests/s; ``-q`` is per worker, and
  one worker waits for each answer, so it falls short of the rate when a request takes
  over 20 ms: then ``--rate-workers W`` spreads the rate over W workers, ``-q 50/W``).

Every request is ``POST /predict`` with ``{"texts": ["a single short text"]}`` (plus
``"model"`` when several runs are served). Prints a Markdown table (model, load,
requests/s, p50 ms, p99 ms, failed) and writes the numbers and the machine to
``--out``. Requests/s is hey's (responses, failed ones included, per second of the run);
p50/p99 are hey's latency percentiles of the successful requests (0.1 ms resolution);
failed counts transport errors and non-2xx answers. hey runs on the same machine as the
server, so both share its cores.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY_TEXTS = ["a single short text"]
CONCURRENCY = (1, 8, 32)
HOST = "127.0.0.1"


def hey(url: str, body: str, args: list[str], cap_s: float) -> dict:
    """Run ``hey`` against ``url`` (must be on 127.0.0.1) with ``args``; stop it after
    ``cap_s`` seconds. Returns ``{"requests_per_s", "p50_ms", "p99_ms", "ok", "failed",
    "stopped_at_cap"}``, parsed from hey's summary."""
    if not url.startswith(f"http://{HOST}:"):
        raise SystemExit(f"refusing to load-test {url}: only {HOST} is allowed")
    cmd = ["hey", *args, "-m", "POST", "-T", "application/json", "-d", body, url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stopped = False
    try:
        out, _ = proc.communicate(timeout=cap_s)
    except subprocess.TimeoutExpired:
        stopped = True
        proc.send_signal(signal.SIGINT)  # hey stops and prints what it measured
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    return {**parse_summary(out), "stopped_at_cap": stopped}


def parse_summary(text: str) -> dict:
    """Requests/s, p50/p99 (ms), successful and failed counts from hey's text summary."""
    def seconds_at(pct: str):
        m = re.search(rf"^\s*{pct}% in ([0-9.]+) secs", text, re.M)
        return round(float(m.group(1)) * 1000, 1) if m else None

    rps = re.search(r"Requests/sec:\s*([0-9.]+)", text)
    ok = failed = 0
    codes = text.split("Status code distribution:", 1)[-1].split("Error distribution:", 1)[0]
    for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", codes):
        if code.startswith("2"):
            ok += int(n)
        else:
            failed += int(n)
    if "Error distribution:" in text:
        errors = text.split("Error distribution:", 1)[1]
        failed += sum(int(n) for n in re.findall(r"^\s*\[(\d+)\]\s", errors, re.M))
    return {"requests_per_s": round(float(rps.group(1)), 1) if rps else None,
            "p50_ms": seconds_at(50), "p99_ms": seconds_at(99), "ok": ok, "failed": failed}


def table(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    def cell(v):
        return "-" if v is None else str(v)

    lines = ["| model | load | requests/s | p50 ms | p99 ms | failed |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['load']} | {cell(r['requests_per_s'])} | "
                     f"{cell(r['p50_ms'])} | {cell(r['p99_ms'])} | {r['failed']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", required=True, metavar="RUN_DIR")
    p.add_argument("--requests", type=int, default=2000, metavar="N",
                   help="requests per closed-loop level (default 2000)")
    p.add_argument("--duration-cap", type=float, default=60, metavar="S",
                   help="stop each closed-loop level after S seconds (default 60)")
    p.add_argument("--rate", type=int, default=50, help="open-loop requests/s (default 50)")
    p.add_argument("--rate-seconds", type=int, default=20,
                   help="open-loop duration in seconds (default 20)")
    p.add_argument("--rate-workers", type=int, default=1, metavar="W",
                   help="hey workers sharing the fixed rate (default 1: -c 1 -q RATE; one "
                        "worker cannot reach RATE when a request takes over 1/RATE s)")
    p.add_argument("--out", default=str(ROOT / "bench" / "serve_results.json"))
    args = p.parse_args(argv)
    if shutil.which("hey") is None:
        print("hey is not installed: apt-get install hey", file=sys.stderr)
        return 2
    if args.rate_workers < 1 or args.rate < args.rate_workers:
        p.error("--rate-workers must be between 1 and --rate")
    if args.requests < max(CONCURRENCY):
        p.error(f"--requests must be at least {max(CONCURRENCY)}")

    import specc
    from bench.timing import machine
    from specc.serve.app import ServeLimits, ServerThread, build_app, model_names
    runs = [specc.load_run(d) for d in args.runs]
    names = model_names(runs)
    limits = ServeLimits()
    rows = []
    with ServerThread(build_app(runs, limits)) as server:
        url = server.url + "/predict"
        for name in names:
            body = {"texts": BODY_TEXTS} if len(names) == 1 else {"texts": BODY_TEXTS,
                                                                  "model": name}
            body = json.dumps(body)
            hey(url, body, ["-n", "100", "-c", "8"], args.duration_cap)  # warm-up
            for c in CONCURRENCY:
                r = hey(url, body, ["-n", str(args.requests), "-c", str(c)], args.duration_cap)
                rows.append({"model": name, "load": f"c={c}", "concurrency": c,
                             "requests": args.requests, **r})
                print(f"{name} c={c}: {r}", file=sys.stderr)
            w = args.rate_workers
            r = hey(url, body, ["-z", f"{args.rate_seconds}s", "-c", str(w),
                                "-q", f"{args.rate / w:g}"], args.rate_seconds + 30)
            rows.append({"model": name, "load": f"{args.rate} req/s (c={w})", "concurrency": w,
                         "rate": args.rate, "seconds": args.rate_seconds, **r})
            print(f"{name} {args.rate} req/s: {r}", file=sys.stderr)
    print(table(rows))
    result = {"machine": machine(), "limits": asdict(limits), "body": {"texts": BODY_TEXTS},
              "runs": dict(zip(names, args.runs)), "results": rows}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
