#!/usr/bin/python3
"""bench/scale_report.py RESULTS... - bench/SCALE.md from the lines bench/scale.sh
recorded ("tool set=X step=Y key=value ..."): issue 12's table with the
issue's "before" figures beside this run's, then the per-set detail.
Missing steps print "not run" (SCALE_SETS) or the step's own "n/a" text.
Several records (runs of different SCALE_SETS) make one report: the first
line of a kind wins, every run is listed."""
import shlex
import sys
from statistics import median

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        lines = f.readlines()
    for line in lines:
        tok = shlex.split(line.strip())
        if not tok:
            continue
        d = {"tool": tok[0]}
        for t in tok[1:]:
            k, _, v = t.partition("=")
            d[k] = v
        rows.append(d)


def get(tool, set_=None, step=None, **match):
    for r in rows:
        if r["tool"] == tool and (set_ is None or r.get("set") == set_) and \
                (step is None or r.get("step") == step) and \
                all(r.get(k) == str(v) for k, v in match.items()):
            return r
    return None


def val(tool, set_, step, key, fmt=None, **match):
    r = get(tool, set_, step, **match)
    if r is None:
        return None
    v = r.get(key)
    if v is None or v == "":
        return None
    if fmt:
        try:
            return fmt.format(float(v))
        except ValueError:
            return v
    return v


def num(tool, set_, step, key, **match):
    v = val(tool, set_, step, key, **match)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def na(r, what="not run"):
    return r if r is not None else what


def head(*cols):
    """A markdown table's header and separator rows."""
    w("| " + " | ".join(cols) + " |")
    w("|" + " --- |" * len(cols))


def measured(step):
    """(set, core's row, implicit's row or None) of the sets the run measured at this step."""
    return [(s, get("core", s, step), get("implicit", s, step)) for s in ("S", "M", "L") if get("core", s, step)]


def status(tool, set_, step):
    r = get(tool, set_, step)
    return r.get("status") if r else None


starts = [r for r in rows if r["tool"] == "run" and "started" in r]
ends = [r for r in rows if r["tool"] == "run" and "ended" in r]
run = starts[0] if starts else {}
impl = get("implicit", step=None, available="1") is not None
loads = [r for r in rows if r["tool"] == "load"]
out = []
w = out.append

w("# Scale: issue 12's figures, before and now")
w("")
w("Written by `make bench-scale` (bench/scale.sh, then bench/scale_report.py on the")
w("parseable record bench/scale_results.txt). Rerun: `make bench-scale` (all sets, about 25 minutes")
w("on the quiet 2-core machine, up to 3x that under load), `make bench-scale SCALE_SETS=S`, or `SCALE_SETS=\"S L\"`;")
w("see bench/README.md. \"Before\" figures are quoted from issue 12 and /work/shared/REFERENCE.md")
w("(\"Scale\"), measured on main at 6dba5c7 on a quiet machine; \"now\" is this run.")
w("")
for i, st in enumerate(starts):
    end = next((e for e in ends if e.get("ended", "") > st["started"] and
                (i + 1 == len(starts) or e["ended"] < starts[i + 1]["started"])), {})
    w(f"- run: {st.get('started', '?')} to {end.get('ended', 'stopped')} ({end.get('minutes', '?')} min), "
      f"commit {st.get('commit', '?')}, sets {st.get('sets', '')}, {st.get('threads', '?')} threads, "
      f"OPENBLAS_CORETYPE {st.get('openblas_coretype', '?')}; load average (1 min) {st.get('load', '?')} at "
      f"the start, {end.get('load', '?')} at the end")
w("- load average after each step: "
  + ", ".join(f"{r.get('set')}/{r.get('after')} {r.get('value')}" for r in loads))
peak = max([float(st.get("load", 0) or 0) for st in starts] +
           [float(e.get("load", 0) or 0) for e in ends] +
           [float(r.get("value", 0) or 0) for r in loads] + [0.0])
if peak > 3:
    w(f"- **The load average reached {peak:.1f} on 2 cores during this run (the bench's own pgbench clients, or other")
    w("  work): every time below is noisy (REFERENCE.md sees 30-50% between runs on a quiet")
    w("  machine). Compare ratios taken in the same run, not absolute times across runs.** Memory")
    w("  figures are not affected by the load.")
else:
    w(f"- The load average stayed at or below {peak:.1f} on 2 cores (a quiet run; REFERENCE.md still")
    w("  sees 30-50% between quiet runs: compare ratios taken in the same run).")
pg = get("pg", step=None)
feat = get("features") or {}
w(f"- PostgreSQL {get('pg') and get('pg').get('version', '?')}, pg_recsys {get('pg') and get('pg').get('recsys', '?')}; "
  f"features found: recommend_batch {feat.get('recommend_batch', '?')}, recsys_import functions "
  f"{feat.get('recsys_import', '?')}, progress settings {feat.get('progress_settings', '?')}")
w(f"- implicit 0.7.3: {'built from source (bench/implicit_build.sh) and measured in this run' if impl else 'not built here: REFERENCE.md figures quoted'}")
w("")

# ---------------------------------------------------------------- the table
w("## Issue 12's table")
w("")
head("measured", "before (source)", "now (this run)", "target (issue 12)")

if get("pg", "L", "memory", backends=1):
    one_p = val("pg", "L", "memory", "added_private_mb", backends=1)
    one_s = val("pg", "L", "memory", "added_pss_mb", backends=1)
    blob = val("pg", "L", "memory", "blob_mb", backends=1)
    eight_p = val("pg", "L", "memory", "added_private_mb", backends=8)
    eight_s = val("pg", "L", "memory", "added_pss_mb", backends=8)
    per = val("pg", "L", "memory", "per_backend_private_mb", backends=8)
    ratio = val("pg", "L", "memory", "ratio_to_one_copy", backends=8)
    now = (f"one backend +{one_p} MB private (+{one_s} MB PSS) for a {blob} MB blob; "
           f"8 backends added {eight_p} MB private, {eight_s} MB PSS ({per} MB private each): "
           f"{ratio}x what one backend added, "
           f"{float(eight_s) / max(float(blob), 1):.1f}x the blob")
else:
    now = "not run (L not in SCALE_SETS)"
w("| PostgreSQL memory per backend serving the L model | 583 MB private each; 8 connections added 4.9 GB "
  f"(issue 12) | {now} | 8 backends add at most 1.2x one copy |")

fc = get("pg", "L", "first_call")
now = (f"median {float(fc['median_ms']):.1f} ms over {fc['backends']} new backends ("
       + ", ".join(f"{float(v):.1f}" for v in fc['all_ms'].split()) + " ms)" if fc
       else "not run (L not in SCALE_SETS)")
w(f"| first recommend() in a new backend, L model | 1.1-2.9 s, median 2.15 s (issue 12) | {now} | at most 20 ms |")

if get("core", "L", "latency"):
    now = (f"SQLite median {na(val('sqlite', 'L', 'latency', 'median_us', '{:.0f}'))} us "
           f"(p99 {na(val('sqlite', 'L', 'latency', 'p99_us', '{:.0f}'))}); core median "
           f"{val('core', 'L', 'latency', 'median_us')} us (p99 {val('core', 'L', 'latency', 'p99_us')}); "
           f"PostgreSQL pgbench -c 1 average {na(val('pg', 'L', 'latency', 'avg_ms'))} ms; "
           f"{val('core', 'L', 'train', 'items')} items")
    ex = status("pg", "L", "latency_exact")
    if ex:
        now += f"; exact option: {ex}"
    elif get("pg", "L", "latency_exact"):
        now += (f"; with \"exact\": {val('pg', 'L', 'latency_exact', 'avg_ms')} ms, recall@10 of the default "
                f"against exact {val('pg', 'L', 'latency_exact', 'recall_vs_exact')}")
    ix = status("pg", "L", "index")
    if ix:
        now += f"; index: {ix}"
else:
    now = "not run (L not in SCALE_SETS)"
w("| recommend(u, 10), warm, L | 4.5 ms median through SQLite (core 4.0-4.2 ms), 914k items (issue 12) "
  f"| {now} | exact top-10 over 1M x 64 in at most 2.5 ms on one core; approximate: recall@10 >= 0.95 at >= 10x exact's speed |")

if get("core", "S", "batch"):
    ib = val("implicit", "S", "batch", "users_per_s", "{:,.0f}")
    pgb = status("pg", "S", "batch") or f"{val('pg', 'S', 'batch', 'users_per_s', '{:,.0f}')} users/s"
    sqb = status("sqlite", "S", "batch") or f"{val('sqlite', 'S', 'batch', 'users_per_s', '{:,.0f}')} users/s"
    now = (f"lateral join: PostgreSQL {na(val('pg', 'S', 'lateral', 'users_per_s', '{:,.0f}'))}, SQLite "
           f"{na(val('sqlite', 'S', 'lateral', 'users_per_s', '{:,.0f}'))} users/s; recommend_batch: PostgreSQL {pgb}, "
           f"SQLite {sqb}; core per-user calls on {val('core', 'S', 'batch', 'threads')} threads "
           f"{val('core', 'S', 'batch', 'users_per_s', '{:,.0f}')} users/s; implicit batched "
           + (f"{ib} users/s (this run)" if ib else "11,160 users/s (REFERENCE.md)"))
else:
    now = "not run (S not in SCALE_SETS)"
w("| top-10 for 100k users into a table, S | 6,700 users/s (lateral join, PostgreSQL and SQLite) vs implicit's "
  f"batched 11,200 users/s (issue 12) | {now} | >= 2x implicit's batched figure (>= 22k users/s) |")


def mem_line(s):
    if not get("core", s, "train"):
        return None
    im = val("implicit", s, "train", "process_peak_mb")
    return (f"{s}: PostgreSQL backend VmHWM {na(val('pg', s, 'train', 'peak_mb'))} MB (of it "
            f"{na(val('pg', s, 'train', 'shared_at_end_mb'))} MB shared buffers still resident at the end), SQLite "
            f"{na(val('sqlite', s, 'train', 'peak_mb'))} MB, core alone {val('core', s, 'train', 'peak_mb')} MB"
            + (f", implicit's process {im} MB (fit alone {val('implicit', s, 'train', 'peak_mb')})" if im else ""))


mems = [m for m in (mem_line("S"), mem_line("M")) if m]
w("| training memory, S (and M) | S: PostgreSQL backend 538 MB private, SQLite 450 MB, core alone 243 MB; "
  "M: the builder's string ids hold 606 MB before training starts; implicit's whole process 245 MB at S, "
  f"1,021 MB at M (issue 12, REFERENCE.md) | {'; '.join(mems) if mems else 'not run'} | "
  "PostgreSQL and SQLite at most 1.3x the core's; at M at most implicit's peak (1,021 MB) |")

tps = {(r["statement"], r["clients"]): float(r["tps"]) for r in rows
       if r["tool"] == "pg" and r.get("step") == "tps" and r.get("tps")}
if tps:
    parts = []
    for c in ("2", "8"):
        if ("recommend", c) in tps and ("precomputed", c) in tps:
            nomemo = tps.get(("recommend_nomemo", c))
            parts.append(f"{c} clients: {tps[('recommend', c)] / tps[('precomputed', c)]:.2f}x "
                         f"({tps[('recommend', c)]:,.0f} vs {tps[('precomputed', c)]:,.0f} TPS"
                         + (f"; result memo off {nomemo / tps[('precomputed', c)]:.2f}x" if nomemo else "")
                         + ")")
    now = "; ".join(parts)
else:
    now = na(status("pg", "ML-1M", "tps"))
w("| live recommend() vs a precomputed indexed top-10 table, ML-1M, pgbench | 0.48-0.64x at 8 clients "
  f"(issue 12; issue 2's target 1.0x) | {now} | >= 1.0x at 2 and 8 clients |")
w("")

# ---------------------------------------------------------------- training side by side
REF = {  # REFERENCE.md "Scale": implicit fit s, peak MB, one-user recommend; recsys at 6dba5c7
    "S": ("20.2", "248", "323-360 us", "9.45 s, 243 MB, 139 us"),
    "M": ("103.4", "1,021", "2.2-2.4 ms", "51.4 s, 1,193 MB, 666 us"),
    "L": ("62.8", "716", "11.4-12.1 ms", "22.5 s, 588 MB, 4.5 ms"),
}
w("## Training, side by side (ALS f=64, 15 iterations, CG 3 steps, alpha 5, same regularization, 2 threads)")
w("")
head("set", "rows, users x items", "core s / peak MB", "PostgreSQL s / backend VmHWM MB",
     "SQLite s / process VmHWM MB", "implicit fit s / peak MB (fit; process)", "core / implicit time",
     "REFERENCE.md: implicit s / MB; recsys")
for s, c, i in measured("train"):
    ratio = f"{float(c['seconds']) / float(i['seconds']):.2f}x" if i else "n/a"
    w(f"| {s} | {int(c['rows']):,}, {int(c['users']):,} x {int(c['items']):,} | {c['seconds']} / {c['peak_mb']} "
      f"| {na(val('pg', s, 'train', 'wall_seconds'))} / {na(val('pg', s, 'train', 'peak_mb'))} "
      f"| {na(val('sqlite', s, 'train', 'wall_seconds'))} / {na(val('sqlite', s, 'train', 'peak_mb'))} "
      + (f"| {i['seconds']} / {i['peak_mb']}; {i['process_peak_mb']} " if i else "| not run ")
      + f"| {ratio} | {REF[s][0]} s / {REF[s][1]} MB; {REF[s][3]} |")
w("")
w("Core: build/scale_core reads the TSV into the builder (ids as text) and trains; its peak is the")
w("process's VmHWM. PostgreSQL: wall time of `recsys_train` in one session (reading the table")
w("included) and that backend's VmHWM, which counts the shared buffers it touched as well:")
for s in ("S", "M", "L"):
    r = get("pg", s, "train")
    if r:
        w(f"  {s}: {r.get('shared_at_end_mb')} MB of shared memory resident at the end, blob {int(r.get('model_bytes') or 0) / 1048576:.0f} MB.")
w("SQLite: `/usr/bin/time` of a `sqlite3` process that loads the extension and trains (the import")
w("ran in an earlier process). implicit: fit alone (VmHWM reset after loading the matrix) and the")
w("whole Python process, loading included; its matrix holds c = 1 + 5w (it keeps confidences")
w("itself, so its alpha is 1).")
w("")

# ---------------------------------------------------------------- serving and recall
w("## Serving and recall@10")
w("")
head("set", "core recommend() median / p99 us", "implicit recommend() one user median / p99 us",
     "core per-user top-10, users/s", "implicit batched, users/s", "recall@10 core / implicit / PostgreSQL",
     "REFERENCE.md implicit one user")
for s, c, i in measured("latency"):
    w(f"| {s} | {c['median_us']} / {c['p99_us']} | " + (f"{i['median_us']} / {i['p99_us']}" if i else "not run")
      + f" | {na(val('core', s, 'batch', 'users_per_s', '{:,.0f}'), 'S only')} "
      f"| {na(val('implicit', s, 'batch', 'users_per_s', '{:,.0f}'), 'S only' if i else 'not run')} "
      f"| {na(val('core', s, 'recall', 'recall_at_10'))} / {na(val('implicit', s, 'recall', 'recall_at_10'), '-')} / "
      f"{na(val('pg', s, 'recall', 'recall_at_10'), '-')} | {REF[s][2]} |")
w("")
w("recall@10: one held-out item for 10,000 users (gen_synth), the user's training items excluded;")
w("a sanity check that the engine learns the planted topics.")
w("Latency: one thread, random known users, warm; calls: "
  + ", ".join(f"{s} core {c.get('calls')}" + (f" / implicit {i.get('calls')}" if i else "")
              for s, c, i in measured("latency"))
  + " (after a tenth as many warm-up calls). recall@10 users: "
  + ", ".join(f"{s} {c.get('users')}" for s, c, i in measured("recall")) + ".")
w("")

if tps:
    w("## ML-1M: live recommend() against a precomputed indexed top-10 table (pgbench -M prepared -j 2)")
    w("")
    head("clients", "recommend() TPS", "result memo off", "memo off, reasons false", "memo off, k = 1",
         "precomputed TPS", "popular_items(10) TPS", "SELECT 1", "ratio recommend / precomputed",
         "memo off / precomputed")

    def t(s, c):
        v = tps.get((s, c))
        return f"{v:,.0f}" if v else "n/a"

    def ratio(s, c):
        v, p = tps.get((s, c)), tps.get(("precomputed", c))
        return f"{v / p:.2f}" if v and p else "n/a"
    for c in ("2", "8"):
        if ("recommend", c) in tps:
            w(f"| {c} | {t('recommend', c)} | {t('recommend_nomemo', c)} | {t('noreasons_nomemo', c)} | "
              f"{t('k1_nomemo', c)} | {t('precomputed', c)} | {t('popular', c)} | {t('select1', c)} | "
              f"{ratio('recommend', c)} | {ratio('recommend_nomemo', c)} |")
    w("")
    w("recommend() runs with the result memo (recsys.result_cache, default 10000 answers per")
    w("backend: a repeated request is answered from the answers the backend gave) and without it")
    w("(recsys.result_cache = 0: every call scores; the breakdown by \"reasons\" and k). pgbench's")
    w("backends start empty: the memo's figure includes each backend's first call for every user.")
    w("ALS with default options on all ML-1M positives (rating >= 4), the precomputed table as")
    w("bench/pg.sh builds it; popular_items takes the SRF and model-cache path without scoring.")
    w("")

w("## How each figure is taken")
w("")
w("- Data: build/gen_synth (bench/gen_synth.c, seed 12), REFERENCE.md's generator description;")
w("  S 200k x 50k, M 1M x 200k, L 500k x 1M items (about 920k of them occur).")
w("- Memory per backend (L): 8 psql sessions; Private_Clean + Private_Dirty and Pss from")
w("  /proc/PID/smaps_rollup of each backend, idle (after `SELECT 1`) and after its first")
w("  recommend(); \"added\" is after minus idle. PSS splits shared pages among the processes")
w("  mapping them, so the 8 backends' added PSS is what they cost the machine together; the ratio")
w("  compares it with what one backend added alone.")
w("- First call: `\\timing` of `SELECT count(*) FROM recommend(u, 10, 'l')` as the first statement of")
w("  a new connection (the model already trained and stored; the connection itself not counted).")
w("- Features other branches add are detected at run time: recommend_batch (pg_proc; SQLite")
w("  pragma_function_list / pragma_module_list), the serving option \"exact\" (a call with it),")
w("  the training option `index` (`SCALE_INDEX_OPTION`, default `\"index\": \"ivf\"` as main documents it, tried on a small")
w("  model), recsys_import (pg_proc), progress (settings named recsys.*progress*).")
print("\n".join(out))
