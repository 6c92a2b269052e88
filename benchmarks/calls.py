#!/usr/bin/python3
"""The call path stage of benchmarks/run (issue 15): checks the frame-counting method, and turns
the runs of pws-bench, pws-bench-count and pws-bench-count-frames into benchmarks/results/calls.json.

    calls.py check OUT.json CHECK.jsonl
    calls.py assemble OUT.json RUNS.jsonl META.json

CHECK.jsonl: lines {"variant": "recycle"|"norecycle", "exe": PATH, "result": pws-bench-frames-check's
line}. RUNS.jsonl: lines {"side": "baseline"|"current", "program": "cpu"|"count"|"frames", "exe":
PATH, "mode", "concurrency", "rep", "result": the program's line}. META.json: what the script knows
(revisions, load average, counts); it is copied into OUT.json.

How frames and co_spawns are counted. Asio's coroutine frames (awaitable<>) are allocated by its
recycling allocator, which falls back to std::aligned_alloc (not operator new) when its per-thread
cache cannot serve them; built with BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING every frame is an
operator new called by the coroutine's ramp function. So frames per lookup = operator new calls per
lookup of pws-bench-count-frames minus those of pws-bench-count (same code otherwise), and the
frames of one coroutine = the difference at the call sites whose innermost function (addr2line -i)
is that coroutine; a co_spawn is a frame of co_spawn_entry_point. `check` shows this on a program
whose coroutines are known (pws-bench-frames-check) and fails if it does not hold.
"""
import json
import re
import statistics
import subprocess
import sys
from collections import defaultdict

SPAWN = "co_spawn_entry_point"


def strip_templates(name):
    """`ns::f<...>(args) [clone .actor]` -> `ns::f`: template arguments, parameters, return type dropped."""
    if name.startswith("(shared libraries)") or name.startswith("??"):
        return name
    name = name.replace("(anonymous namespace)", "{anonymous}")
    out, depth = [], 0
    i = 0
    while i < len(name):
        ch = name[i]
        if name.startswith("operator<", i) or name.startswith("operator>", i) or name.startswith("operator()", i):
            # operator<<, operator(), ...: keep the operator's own characters
            m = re.match(r"operator(\(\)|<<=?|>>=?|<=>|<=|>=|<|>)", name[i:])
            if depth == 0:
                out.append(m.group(0))
            i += len(m.group(0))
            continue
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "(" and depth == 0:
            break
        elif depth == 0:
            out.append(ch)
        i += 1
    s = "".join(out).strip()
    # a return type before the name ("boost::asio::awaitable boost::asio::detail::f"): the last word
    parts = s.split(" ")
    s = parts[-1] if parts else s
    if "[clone .actor]" in name:
        s += " (body)"
    return s


def innermost(exe, offsets):
    """{offset: innermost function name at the call site offset - 1 of exe} (addr2line -a -f -C -i)."""
    if not offsets:
        return {}
    args = ["addr2line", "-a", "-f", "-C", "-i", "-e", exe] + [hex(o - 1) for o in offsets]
    lines = subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines()
    names, i = {}, 0
    want = {o - 1: o for o in offsets}
    current = None
    while i < len(lines):
        line = lines[i]
        if re.fullmatch(r"0x[0-9a-f]+", line):
            current = want[int(line, 16)]
            # the next line is the innermost function, then its file:line, then the callers' pairs
            names[current] = lines[i + 1] if i + 1 < len(lines) else "??"
            i += 3
            while i < len(lines) and not re.fullmatch(r"0x[0-9a-f]+", lines[i]):
                i += 1
            continue
        i += 1
    return names


def by_function(exe, result, units):
    """operator new calls per unit, by the innermost function at the call site (full names)."""
    callers = result.get("callers", [])
    names = innermost(exe, [o for o, _ in callers if o >= 0])
    out = defaultdict(float)
    for off, n in callers:
        out["(shared libraries)" if off < 0 else names.get(off, "??")] += n / units
    return dict(out)


def frames_by_function(exe_count, count_result, exe_frames, frames_result):
    """The frames of each coroutine per lookup: the call-site difference of the two builds."""
    u1, u2 = count_result["counted_" + unit_of(count_result) + "s"], frames_result["counted_" + unit_of(frames_result) + "s"]
    a = by_function(exe_count, count_result, u1)
    b = by_function(exe_frames, frames_result, u2)
    diff = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
    return {k: round(v, 4) for k, v in sorted(diff.items(), key=lambda kv: -kv[1]) if abs(v) >= 0.0005}


def unit_of(result):
    return "lookup" if "counted_lookups" in result else "iteration"


def spawns(frames):
    return sum(v for k, v in frames.items() if SPAWN in strip_templates(k) and "(body)" not in strip_templates(k))


def short(frames):
    agg = defaultdict(float)
    for k, v in frames.items():
        agg[strip_templates(k)] += v
    return {k: round(v, 4) for k, v in sorted(agg.items(), key=lambda kv: -kv[1]) if abs(v) >= 0.0005}


def check(out, path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    by = defaultdict(dict)
    for r in rows:
        res = r["result"]
        by[(res["depth"], res["spawns"])][r["variant"]] = r
    cases, problems = [], []
    for (depth, nspawn), v in sorted(by.items()):
        rec, norec = v["recycle"], v["norecycle"]
        fr = frames_by_function(rec["exe"], rec["result"], norec["exe"], norec["result"])
        frames = norec["result"]["new_per_iteration"] - rec["result"]["new_per_iteration"]
        sp = spawns(fr)
        case = {"depth": depth, "spawns": nspawn, "frames_per_iteration": round(frames, 4),
                "spawns_counted_per_iteration": round(sp, 4),
                "recycled_build_new_per_iteration": rec["result"]["new_per_iteration"],
                "recycled_build_malloc_per_iteration": rec["result"]["malloc_per_iteration"],
                "frames_by_function": short(fr)}
        # The measured loop's own co_spawn is in the count: a few frames over N iterations.
        tol = 0.01
        if nspawn == 0 and abs(frames - depth) > tol:
            problems.append(f"depth {depth}: {frames:.4f} frames per iteration, not {depth}")
        if abs(sp - nspawn) > tol:
            problems.append(f"depth {depth}, {nspawn} co_spawns: {sp:.4f} counted per iteration")
        if nspawn:
            per = (frames - depth) / nspawn
            case["frames_per_co_spawn"] = round(per, 4)
            if abs(per - round(per)) > tol or round(per) < 2:
                problems.append(f"{nspawn} co_spawns: {per:.4f} frames each (a whole number ≥ 2 expected: "
                                "the spawned coroutine's and the entry point's)")
        if rec["result"]["new_per_iteration"] > tol:
            problems.append(f"the recycling build allocated {rec['result']['new_per_iteration']} frames per "
                            "iteration through operator new (Asio's frames should not go there)")
        cases.append(case)
    json.dump({"ok": not problems, "problems": problems, "cases": cases}, open(out, "w"), indent=1)
    for p in problems:
        print(f"bench: FRAME COUNT CHECK FAILED: {p}", file=sys.stderr)
    for c in cases:
        print(f"bench: frames check: depth {c['depth']}, {c['spawns']} co_spawns: {c['frames_per_iteration']} "
              f"frames, {c['spawns_counted_per_iteration']} co_spawns counted per iteration", file=sys.stderr)
    return 0 if not problems else 1


def assemble(out, path, meta_path):
    meta = json.load(open(meta_path))
    rows = [json.loads(l) for l in open(path) if l.strip()]
    keys = sorted({(r["mode"], r["concurrency"]) for r in rows}, key=lambda k: (k[0], k[1]))
    sides = [s for s in ("baseline", "current") if any(r["side"] == s for r in rows)]
    cells = []
    for side in sides:
        for mode, c in keys:
            sel = [r for r in rows if (r["side"], r["mode"], r["concurrency"]) == (side, mode, c)]
            cpu = [r["result"] for r in sel if r["program"] == "cpu"]
            cnt = next(r for r in sel if r["program"] == "count")
            frm = next(r for r in sel if r["program"] == "frames")
            mid = sorted(cpu, key=lambda r: r["cpu_us_per_lookup"])[(len(cpu) - 1) // 2]
            fr = frames_by_function(cnt["exe"], cnt["result"], frm["exe"], frm["result"])
            res = cnt["result"]
            cells.append({
                "side": side, "mode": mode, "concurrency": c,
                # CPU: the run of median total CPU (its user and system add up to its total)
                "cpu_us_per_lookup": mid["cpu_us_per_lookup"], "user_us_per_lookup": mid["user_us_per_lookup"],
                "sys_us_per_lookup": mid["sys_us_per_lookup"],
                "cpu_us_runs": [r["cpu_us_per_lookup"] for r in cpu],
                "p50_us": statistics.median(r["p50_us"] for r in cpu),
                "requests_per_lookup": statistics.median(r["requests"] / (r["lookups"] + r.get("warmup", 0)) for r in cpu),
                "allocs_per_lookup": res["allocs_per_lookup"], "alloc_bytes_per_lookup": res["alloc_bytes_per_lookup"],
                "new_per_lookup": res["new_per_lookup"], "new_bytes_per_lookup": res["new_bytes_per_lookup"],
                "malloc_per_lookup": res["malloc_per_lookup"], "malloc_bytes_per_lookup": res["malloc_bytes_per_lookup"],
                "frames_per_lookup": round(frm["result"]["new_per_lookup"] - res["new_per_lookup"], 4),
                "spawns_per_lookup": round(spawns(fr), 4),
                "frames_by_function": short(fr),
                "new_by_function": short(by_function(cnt["exe"], res, res["counted_lookups"])),
                "callers_dropped": res.get("callers_dropped", 0) + frm["result"].get("callers_dropped", 0),
                "runs": cpu,
            })
    ratios = []
    if len(sides) == 2:
        get = {(x["side"], x["mode"], x["concurrency"]): x for x in cells}
        for mode, c in keys:
            b, cur = get[("baseline", mode, c)], get[("current", mode, c)]
            ratios.append({"mode": mode, "concurrency": c, **{
                k: (round(cur[k] / b[k], 4) if b[k] else None)
                for k in ("cpu_us_per_lookup", "user_us_per_lookup", "sys_us_per_lookup", "allocs_per_lookup",
                          "alloc_bytes_per_lookup", "frames_per_lookup", "spawns_per_lookup")}})
    meta.update({"cells": cells, "ratios": ratios})
    meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    json.dump(meta, open(out, "w"), indent=1)
    for x in cells:
        print(f"bench: calls {x['side']} mode={x['mode']} c={x['concurrency']}: cpu {x['cpu_us_per_lookup']:.2f} us "
              f"(runs {', '.join(f'{v:.2f}' for v in x['cpu_us_runs'])}), {x['allocs_per_lookup']:.2f} allocations "
              f"({x['alloc_bytes_per_lookup']:,.0f} bytes), {x['frames_per_lookup']:.2f} frames, "
              f"{x['spawns_per_lookup']:.2f} co_spawns", file=sys.stderr)
    for r in ratios:
        print(f"bench: calls current/baseline mode={r['mode']} c={r['concurrency']}: "
              + ", ".join(f"{k.replace('_per_lookup', '')} {v:.3f}" for k, v in r.items()
                          if k not in ("mode", "concurrency") and v is not None), file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "assemble":
        sys.exit(assemble(*sys.argv[2:]))
    sys.exit("usage: calls.py check OUT.json CHECK.jsonl | calls.py assemble OUT.json RUNS.jsonl META.json")
