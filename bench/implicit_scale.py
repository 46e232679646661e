#!/usr/bin/python3
"""implicit 0.7.3 on a gen_synth set, the same work bench/scale_core.c does
with our core (make bench-scale runs both when bench/implicit_build.sh's
build is there):

  ALS f=64, 15 iterations, CG 3 steps, 2 threads (OPENBLAS_NUM_THREADS=1),
  confidence c = 1 + alpha * weight with our alpha (5) and our resolved
  regularization (implicit keeps c itself in the matrix: we pass 1 + 5w and
  its own alpha 1), then
  - fit time and peak RSS: of the fit alone (VmHWM reset after loading) and
    of the whole process (loading included);
  - recall@10 on the held-out items (liked items filtered; the first
    SCALE_RECALL_USERS of them);
  - recommend() for one user: median and p99 over random users;
  - batched recommend (one call) for the first 100k users: users/s
    (SCALE_BATCH=0 skips it).

Prints parseable lines like scale_core: "implicit set=S step=train seconds=...".
usage: PYTHONPATH=/work/implicit-build/src bench/implicit_scale.py SET DATA.tsv HELDOUT.tsv REGULARIZATION
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from implicit.cpu.als import AlternatingLeastSquares  # noqa: E402

ALPHA = 5.0
THREADS = int(os.environ.get("BENCH_THREADS", "2"))


def status_mb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def read_tsv(path, cols):
    """Integer columns of a TSV file, read in chunks (no float64 copy of the whole)."""
    parts = []
    with open(path, "rb") as f:
        while True:
            chunk = f.read(64 << 20)
            if not chunk:
                break
            chunk += f.readline()
            parts.append(np.fromstring(chunk, dtype=np.int64, sep=" ").astype(np.int32).reshape(-1, cols))
    return np.concatenate(parts)


def main():
    name, data, heldout, reg = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    rows = read_tsv(data, 3)
    users, items, weights = rows[:, 0] - 1, rows[:, 1], rows[:, 2].astype(np.float32)
    # our model knows the items that occur; so does this one
    known, item_index = np.unique(items, return_inverse=True)
    conf = (1.0 + ALPHA * weights).astype(np.float32)
    n_users = int(users.max()) + 1
    user_items = sp.csr_matrix((conf, (users, item_index.astype(np.int32))), shape=(n_users, len(known)))
    del rows, users, items, weights, item_index, conf
    load_peak = status_mb("VmHWM")

    # the fit's own peak: reset VmHWM (Linux: 5 > clear_refs)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    model = AlternatingLeastSquares(factors=64, regularization=reg, alpha=1.0, iterations=15,
                                    use_cg=True, use_native=True, num_threads=THREADS,
                                    calculate_training_loss=False, random_state=42)
    t0 = time.perf_counter()
    model.fit(user_items, show_progress=False)
    secs = time.perf_counter() - t0
    print(f"implicit set={name} step=train rows={user_items.nnz} users={n_users} items={len(known)} "
          f"seconds={secs:.2f} peak_mb={status_mb('VmHWM'):.0f} process_peak_mb={max(load_peak, status_mb('VmHWM')):.0f} "
          f"regularization={reg:g}", flush=True)

    # recall@10 on the held-out items
    held = read_tsv(heldout, 2)[:int(os.environ.get("SCALE_RECALL_USERS", "10000"))]
    hu = held[:, 0] - 1
    hi = np.searchsorted(known, held[:, 1])
    hi[(hi >= len(known)) | (known[np.minimum(hi, len(known) - 1)] != held[:, 1])] = -1
    ids, _ = model.recommend(hu, user_items[hu], N=10, filter_already_liked_items=True)
    hits = int((ids == hi[:, None]).any(axis=1).sum())
    print(f"implicit set={name} step=recall users={len(hu)} recall_at_10={hits / len(hu):.4f}", flush=True)

    # one user per call, random users, fixed seed
    rng = np.random.default_rng(42)
    calls = int(os.environ.get("SCALE_CALLS", "500"))
    lat = []
    for k, u in enumerate(rng.integers(0, n_users, calls + calls // 10)):
        t = time.perf_counter()
        model.recommend(int(u), user_items[int(u)], N=10, filter_already_liked_items=True)
        if k >= calls // 10:
            lat.append((time.perf_counter() - t) * 1e6)
    lat.sort()
    print(f"implicit set={name} step=latency calls={calls} median_us={lat[len(lat) // 2]:.0f} "
          f"p99_us={lat[int(len(lat) * 0.99)]:.0f}", flush=True)

    # batched: the first 100k users in one call (SCALE_BATCH=0: skipped)
    nb = min(100000, n_users)
    if os.environ.get("SCALE_BATCH", "1") == "0":
        return
    batch = np.arange(nb)
    t = time.perf_counter()
    ids, _ = model.recommend(batch, user_items[batch], N=10, filter_already_liked_items=True)
    tb = time.perf_counter() - t
    print(f"implicit set={name} step=batch users={nb} threads={THREADS} seconds={tb:.2f} "
          f"users_per_s={nb / tb:.0f}", flush=True)


if __name__ == "__main__":
    main()
