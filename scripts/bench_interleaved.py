#!/usr/bin/env python3
"""Whole-process timing of several commands run interleaved: A B A B ...

    scripts/bench_interleaved.py [--runs N] [--warmup N] [--json FILE] NAME=COMMAND...

Each round runs every command once, in the given order, with stdout and
stderr on /dev/null and no shell (COMMAND is split like a shell would, but
not run by one). On a machine that other work slows down now and then, a
slow moment hits both commands of a round instead of one whole batch, so
the ratio of the two is stable where two separate batches are not.

Prints, per command, the median, minimum and mean wall time and the mean
user+system CPU time (from wait4, the child's own), then for every command
after the first the median over rounds of (its time / the first's time).
Timing is posix_spawn to wait4 around the child: the same few tens of
microseconds of spawning are in every figure.
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import time


def run_once(argv, devnull):
    actions = [
        (os.POSIX_SPAWN_DUP2, devnull, 1),
        (os.POSIX_SPAWN_DUP2, devnull, 2),
    ]
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - start) / 1e6
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench: {shlex.join(argv)} exited with {code}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()

    commands = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            parser.error(f"expected NAME=COMMAND, got {spec!r}")
        argv = shlex.split(command)
        if os.sep not in argv[0]:
            import shutil

            found = shutil.which(argv[0])
            if not found:
                parser.error(f"{argv[0]}: not found")
            argv[0] = found
        commands.append((name, argv))

    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(args.warmup):
        for _, argv in commands:
            run_once(argv, devnull)
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for _ in range(args.runs):
        for i, (_, argv) in enumerate(commands):
            wall, cpu = run_once(argv, devnull)
            walls[i].append(wall)
            cpus[i].append(cpu)

    results = []
    for (name, argv), wall, cpu in zip(commands, walls, cpus):
        results.append(
            {
                "name": name,
                "command": shlex.join(argv),
                "median_ms": statistics.median(wall),
                "min_ms": min(wall),
                "mean_ms": statistics.fmean(wall),
                "cpu_mean_ms": statistics.fmean(cpu),
            }
        )
    for i in range(1, len(commands)):
        pairs = [b / a for a, b in zip(walls[0], walls[i])]
        results[i]["ratio_to_first"] = statistics.median(pairs)

    load = open("/proc/loadavg").read().split()[:3]
    print(f"{args.runs} interleaved rounds, load {' '.join(load)}")
    for r in results:
        ratio = r.get("ratio_to_first")
        extra = f"  {ratio:7.2f}x the first (median of per-round ratios)" if ratio else ""
        print(
            f"  {r['name']:<28} median {r['median_ms']:8.2f} ms  min {r['min_ms']:8.2f}"
            f"  mean {r['mean_ms']:8.2f}  cpu {r['cpu_mean_ms']:8.2f} ms{extra}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "load": load, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
