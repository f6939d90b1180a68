#!/usr/bin/env python3
"""What one request costs a server, under wrk on loopback: CPU time,
context switches and system calls per request, at several connection
counts, for any server already running (glasshttp, the probe, nginx).

For each connection count, wrk runs for RUN_SECONDS; the middle of the run (a
window that leaves out the connections' set-up and tear-down) is measured
from /proc: the processes' CPU time (every thread, those gone included),
and every thread's voluntary and involuntary context switches (threads that
live through the window only: for a server whose threads come and go per
connection, the probe with Connection: close, the switches are
under-counted, and the last column shows how many threads were new). Then
wrk runs again under `strace -f -c` for the system calls per request
(strace slows the server; the counts per request are what matter).

Usage: benches/anatomy.py NAME:PID:PORT [NAME:PID:PORT...]
Environment: CONNECTIONS (10,100,1000), RUN_SECONDS (6), CLOSE (1: also a
Connection: close run at 10 connections), STRACE (1)
"""

import os
import re
import subprocess
import sys
import threading
import time

SECONDS = int(os.environ.get("RUN_SECONDS", "6"))
CONNECTIONS = [int(c) for c in os.environ.get("CONNECTIONS", "10,100,1000").split(",")]
TICK = os.sysconf("SC_CLK_TCK")


def tasks(pid):
    """{tid: (cpu ticks, voluntary, involuntary)} for every thread now."""
    found = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
            vol = int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M)[1])
            inv = int(re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M)[1])
            found[tid] = (ticks, vol, inv)
        except (FileNotFoundError, ProcessLookupError, TypeError):
            pass
    return found


def server_pids(pid):
    """The process and its children (nginx's workers)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [int(c) for c in children]


def process_ticks(pids):
    """CPU ticks of whole processes: every thread, the ones gone included."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def snapshot(pids):
    merged = {}
    for pid in pids:
        for tid, values in tasks(pid).items():
            merged[(pid, tid)] = values
    merged["process"] = process_ticks(pids)
    return merged


def wrk(port, connections, seconds, extra=()):
    threads = 1 if connections < 2 else 2
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", *extra,
         f"http://127.0.0.1:{port}/index.html"],
        capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    requests = int(re.search(r"(\d+) requests in", out)[1])
    return rate, requests


def measure(pid, port, connections, extra=()):
    """CPU µs, voluntary and involuntary switches per request, threads seen."""
    pids = server_pids(pid)
    window = SECONDS / 2
    marks = {}

    def sample():
        time.sleep(SECONDS / 4)
        marks["start"] = (time.monotonic(), snapshot(pids))
        time.sleep(window)
        marks["end"] = (time.monotonic(), snapshot(pids))

    sampler = threading.Thread(target=sample)
    sampler.start()
    rate, _ = wrk(port, connections, SECONDS, extra)
    sampler.join()
    (t0, before), (t1, after) = marks["start"], marks["end"]
    lasting = [k for k in after if k in before and k != "process"]
    requests = rate * (t1 - t0)
    delta = [sum(after[k][i] - before[k][i] for k in lasting) for i in range(3)]
    born = len([k for k in after if k not in before])
    ticks = after["process"] - before["process"]
    return {
        "rate": rate,
        "cpu_us": ticks * 1e6 / TICK / requests,
        "voluntary": delta[1] / requests,
        "involuntary": delta[2] / requests,
        "threads": len(after) - 1,
        "born": born,
    }


def syscalls(pid, port, connections, extra=()):
    """System calls per request, by name, under strace -f -c."""
    out = f"/tmp/anatomy-strace-{pid}-{connections}.txt"
    tracer = subprocess.Popen(["strace", "-f", "-c", "-o", out, "-p", str(pid)],
                              stderr=subprocess.DEVNULL)
    time.sleep(1)
    _, requests = wrk(port, connections, 3, extra)
    tracer.terminate()
    tracer.wait()
    calls = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] not in ("total",):
                name = parts[-1]
                count = int(parts[3]) if len(parts) >= 6 else int(parts[3])
                calls[name] = count / max(requests, 1)
    return calls


def main():
    servers = [arg.split(":") for arg in sys.argv[1:]]
    runs = [(c, ()) for c in CONNECTIONS]
    if os.environ.get("CLOSE", "1") == "1":
        runs.append((10, ("-H", "Connection: close")))
    print("| server | connections | req/s | CPU µs/req | voluntary switches/req | involuntary/req | threads (new in the window) |")
    print("|---|---|---|---|---|---|---|")
    for connections, extra in runs:
        for name, pid, port in servers:
            wrk(port, connections, 1, extra)  # warm: threads and connections up
            m = measure(int(pid), port, connections, extra)
            label = f"{connections}" + (" close" if extra else "")
            print(f"| {name} | {label} | {m['rate']:.0f} | {m['cpu_us']:.1f} | {m['voluntary']:.3f} "
                  f"| {m['involuntary']:.3f} | {m['threads']} ({m['born']}) |", flush=True)
    if os.environ.get("STRACE", "1") != "1":
        return
    print()
    print("System calls per request (strace -f -c; the ones above 0.01):")
    print()
    for connections, extra in runs:
        for name, pid, port in servers:
            calls = syscalls(int(pid), port, connections, extra)
            shown = ", ".join(f"{k} {v:.2f}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1]) if v >= 0.01)
            total = sum(calls.values())
            label = f"{connections}" + (" close" if extra else "")
            print(f"- {name}, {label}: {total:.2f} in all: {shown}", flush=True)


main()
