#!/usr/bin/env python3
"""Hot methods of a JFR recording (bench/all --jfr writes them to target/bench-jfr/).

    bench/jfr-top.py target/bench-jfr/p1-leader.jfr [N] [jdk.ExecutionSample|jdk.NativeMethodSample|jdk.ObjectAllocationSample]

Prints the top N (default 25) frames by self samples (jdk.ExecutionSample, top of stack), the top N
Kingbus frames anywhere in the stack (inclusive), and the threads sampled most.
"""
import collections, json, subprocess, sys

path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
kind = sys.argv[3] if len(sys.argv) > 3 else "jdk.ExecutionSample"
out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", kind, path],
                     capture_output=True, text=True, check=True).stdout
events = json.loads(out)["recording"]["events"]
top, inclusive, threads = collections.Counter(), collections.Counter(), collections.Counter()
# allocation samples count by their weight (bytes), the others once each
for e in events:
    v = e["values"]
    w = v.get("weight", 1) if kind == "jdk.ObjectAllocationSample" else 1
    frames = (v.get("stackTrace") or {}).get("frames") or []
    names = [f["method"]["type"]["name"] + "." + f["method"]["name"] for f in frames]
    if names:
        top[names[0]] += w
        first_kingbus = next((n for n in names if n.startswith("kingbus/")), None)
        if first_kingbus and kind == "jdk.ObjectAllocationSample":
            top["(first Kingbus frame) " + first_kingbus] += w
    for name in set(names):
        if name.startswith("kingbus/"):
            inclusive[name] += w
    threads[(v.get("sampledThread") or v.get("eventThread") or {}).get("javaName", "?")] += w
total = sum(top[k] for k in top if not k.startswith("(first")) or 1
print(f"{len(events)} {kind} events in {path}" + (f", {total / 1e9:.1f} GB sampled weight" if kind == "jdk.ObjectAllocationSample" else ""))
print("-- self (top of stack)")
for name, c in top.most_common(n):
    print(f"{100.0 * c / total:5.1f}%  {name}")
print("-- Kingbus methods, inclusive")
for name, c in inclusive.most_common(n):
    print(f"{100.0 * c / total:5.1f}%  {name}")
print("-- threads")
for name, c in threads.most_common(10):
    print(f"{100.0 * c / total:5.1f}%  {name}")
gc = subprocess.run(["jfr", "print", "--json", "--events", "jdk.GarbageCollection", path],
                    capture_output=True, text=True, check=True).stdout
pauses = json.loads(gc)["recording"]["events"]
def ms(d):
    # JFR JSON durations look like "PT0.012345S"
    return float(d[2:-1]) * 1000 if isinstance(d, str) and d.startswith("PT") and d.endswith("S") else 0.0
print(f"-- GC: {len(pauses)} collections, pauses {sum(ms(p['values'].get('sumOfPauses')) for p in pauses):.0f} ms in total")
