#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Synthetic SPC-format traces with the statistics of the paper's Table 1.

  spcgen.py gen   PROFILE --duration SEC [--seed N] [--out FILE]
  spcgen.py stats FILE                      the statistics of a trace
  spcgen.py check PROFILE FILE              the statistics against PROFILE's targets
  spcgen.py profiles                        the targets, one profile a line

PROFILE: financial1, financial2, tpcc20. Output lines: ASU,LBA,size,op,time
(LBA in 512-byte sectors, size in bytes, op r or w, time in seconds).

Matched from Table 1 (checked by 'check', within 10 % for rates and means):
  request rate, write rate (so the read share), mean request size, mean write
  size (so the mean read size), the request size range (every size lies in
  Table 1's range; the largest sizes of the real traces, 17 MB and 256 KB, are
  single requests in millions and do not occur in a minute-long trace).
Assumed (Table 1 does not give them):
  - ASU count: 24 for Financial-1 and 19 for Financial-2 (the SPC traces'
    application storage units), 1 for TPC-C20 (one disk traced with DTB);
    ASU popularity Zipf-like (weight 1/(k+1)).
  - sizes: multiples of 512 B (financial) or 4096 B (TPC-C) from a two-part
    mixture (a small-size menu and a large-size menu) whose mixing weight is
    solved so that the mean matches Table 1; operations and sizes are dealt
    from shuffled decks in exact proportions (so short traces match too).
  - arrivals: a two-state Markov-modulated Poisson process (a burst state at 2x
    the mean rate 1/3 of the time, a calm one at 0.5x; sojourns 0.5 s and 1 s
    on average), stretched so that the mean rate is exact; the operation is
    drawn per request with the write share.
  - locality: per ASU an address space of 4 GiB (financial) or 8 GiB (TPC-C);
    a request continues sequentially after the previous request of the same
    kind on that ASU with probability seq (financial writes 0.35, reads 0.2;
    TPC-C 0.3 and 0.4), otherwise goes to a hot 10 % of the space with
    probability 0.6 or anywhere with 0.4.
"""

import argparse
import math
import random
import sys

KIB = 1024

PROFILES = {
    # Table 1: requests/s, writes/s, mean size, mean write size, size range
    "financial1": dict(rate=57.0, wrate=35.0, mean=3855.0, wmean=4838.0,
                       smin=1024, smax=17116160, align=512, asus=24,
                       space=4 << 30, seq_w=0.35, seq_r=0.2),
    "financial2": dict(rate=67.0, wrate=12.0, mean=2508.0, wmean=3107.0,
                       smin=1024, smax=262656, align=512, asus=19,
                       space=4 << 30, seq_w=0.35, seq_r=0.2),
    "tpcc20": dict(rate=192.0, wrate=57.0, mean=47063.0, wmean=4710.0,
                   smin=4096, smax=126976, align=4096, asus=1,
                   space=8 << 30, seq_w=0.3, seq_r=0.4),
}


def read_mean(p):
    """Mean read size implied by Table 1's mean request and write sizes."""
    reads = p["rate"] - p["wrate"]
    return (p["mean"] * p["rate"] - p["wmean"] * p["wrate"]) / reads


def size_menus(p, target):
    """(small menu, large menu, weight of large) with the mixture's mean = target.
    A menu is [(size, probability)]."""
    a, lo = p["align"], p["smin"]
    if p["align"] == 4096:
        # TPC-C: mostly one page; large requests uniform over 4 KiB multiples
        small = [(lo, 1.0)]
        top = min(p["smax"], 126976)
        sizes = list(range(lo, top + 1, a))
        large = [(s, 1.0 / len(sizes)) for s in sizes]
    else:
        # financial: 1-4 KiB dominate; a geometric tail up to 64 KiB (x2 steps)
        small = [(lo, 0.45), (2 * KIB, 0.25), (3 * KIB, 0.10), (4 * KIB, 0.20)]
        large = []
        s, w = 8 * KIB, 1.0
        while s <= min(p["smax"], 64 * KIB):
            large.append((s, w))
            s, w = s * 2, w * 0.5
        t = sum(w for _, w in large)
        large = [(s, w / t) for s, w in large]
    ms = sum(s * w for s, w in small)
    ml = sum(s * w for s, w in large)
    q = (target - ms) / (ml - ms)
    if not 0 <= q <= 1:
        raise SystemExit("spcgen: cannot reach mean %.0f (menus %.0f..%.0f)" % (target, ms, ml))
    return small, large, q


def deck(rng, menus, n):
    """N sizes in the proportions of the mixture MENUS (small, large, weight
    of large), shuffled."""
    small, large, q = menus
    probs = [(s, (1 - q) * w) for s, w in small] + [(s, q * w) for s, w in large]
    # largest-remainder rounding of the counts to exactly N
    raw = [(s, w * n) for s, w in probs]
    counts = [[s, int(x)] for s, x in raw]
    rest = sorted(range(len(raw)), key=lambda i: raw[i][1] - int(raw[i][1]), reverse=True)
    for i in rest[:n - sum(c for _, c in counts)]:
        counts[i][1] += 1
    out = [s for s, c in counts for _ in range(c)]
    rng.shuffle(out)
    return out


def gen(name, duration, seed, out):
    p = PROFILES[name]
    rng = random.Random(seed)
    wshare = p["wrate"] / p["rate"]
    menus = {"w": size_menus(p, p["wmean"]), "r": size_menus(p, read_mean(p))}
    seq = {"w": p["seq_w"], "r": p["seq_r"]}
    weights = [1.0 / (k + 1) for k in range(p["asus"])]
    space_sec = p["space"] // 512
    hot_sec = space_sec // 10
    last = {}  # (asu, op) -> next sequential LBA
    # MMPP: burst (2x rate, mean 0.5 s) and calm (0.5x rate, mean 1 s): the
    # time-weighted mean rate is (2*0.5 + 0.5*1)/1.5 = 1x. Exactly
    # round(rate * duration) arrivals are drawn, and the time axis is then
    # stretched so that the next arrival would fall at duration: the mean
    # rate is Table 1's, the bursts those of the MMPP.
    states = [(2.0, 0.5), (0.5, 1.0)]
    st = 0 if rng.random() < 1 / 3 else 1
    t = 0.0
    switch = rng.expovariate(1.0 / states[st][1])
    times = []
    want = int(round(p["rate"] * duration))
    while len(times) <= want:
        dt = rng.expovariate(p["rate"] * states[st][0])
        if t + dt > switch:
            # memoryless: restart the draw in the next state
            t = switch
            st ^= 1
            switch = t + rng.expovariate(1.0 / states[st][1])
            continue
        t += dt
        times.append(t)
    stretch = duration / times[-1]
    # the operations and sizes are dealt from shuffled decks with the exact
    # proportions (stratified: the means do not drift with a short trace)
    nw = int(round(want * wshare))
    ops = ["w"] * nw + ["r"] * (want - nw)
    rng.shuffle(ops)
    decks = {"w": deck(rng, menus["w"], nw), "r": deck(rng, menus["r"], want - nw)}
    n = 0
    for t in times[:-1]:
        t *= stretch
        op = ops[n]
        size = decks[op].pop()
        asu = rng.choices(range(p["asus"]), weights)[0]
        key = (asu, op)
        align = p["align"] // 512
        if key in last and rng.random() < seq[op]:
            lba = last[key]
        elif rng.random() < 0.6:
            lba = rng.randrange(0, hot_sec) // align * align
        else:
            lba = rng.randrange(0, space_sec - size // 512) // align * align
        if lba + size // 512 > space_sec:
            lba = 0
        last[key] = lba + size // 512
        out.write("%d,%d,%d,%s,%.6f\n" % (asu, lba, size, op, t))
        n += 1
    return n


def stats(path):
    n = w = 0
    sz = wsz = 0
    smin, smax = None, 0
    asus = set()
    t0 = t1 = None
    seqw = 0
    last = {}
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            a, lba, size, op, t = line.strip().split(",")[:5]
            a, lba, size, t = int(a), int(lba), int(size), float(t)
            op = op.lower()
            n += 1
            sz += size
            smin = size if smin is None else min(smin, size)
            smax = max(smax, size)
            asus.add(a)
            t0 = t if t0 is None else t0
            t1 = t
            if op == "w":
                w += 1
                wsz += size
                if last.get(a) == lba:
                    seqw += 1
                last[a] = lba + size // 512
    span = (t1 - t0) if n > 1 else 0
    # rates over the trace's span plus one mean gap (n events in n gaps)
    dur = span * n / (n - 1) if n > 1 else 1
    return dict(requests=n, writes=w, rate=n / dur, wrate=w / dur,
                mean=sz / n if n else 0, wmean=wsz / w if w else 0,
                rmean=(sz - wsz) / (n - w) if n > w else 0,
                smin=smin or 0, smax=smax, asus=len(asus), max_asu=max(asus) if asus else -1,
                span=span, seq_writes_pct=100.0 * seqw / w if w else 0)


def check(name, path, tol=0.10):
    p = PROFILES[name]
    s = stats(path)
    bad = []

    def near(key, got, want):
        ok = abs(got - want) <= tol * want
        print("%-8s %-12s %10.1f  target %10.1f  %s" % (name, key, got, want, "ok" if ok else "OFF"))
        if not ok:
            bad.append(key)

    near("rate", s["rate"], p["rate"])
    near("wrate", s["wrate"], p["wrate"])
    near("mean", s["mean"], p["mean"])
    near("wmean", s["wmean"], p["wmean"])
    near("rmean", s["rmean"], read_mean(p))
    rng_ok = s["smin"] >= p["smin"] and s["smax"] <= p["smax"]
    print("%-8s %-12s %d..%d  range %d..%d  %s" % (name, "sizes", s["smin"], s["smax"],
                                                  p["smin"], p["smax"], "ok" if rng_ok else "OFF"))
    if not rng_ok:
        bad.append("size range")
    asu_ok = s["asus"] == p["asus"] and s["max_asu"] == p["asus"] - 1
    print("%-8s %-12s %d  target %d  %s" % (name, "asus", s["asus"], p["asus"], "ok" if asu_ok else "OFF"))
    if not asu_ok:
        bad.append("asus")
    if bad:
        print("spcgen: %s: %s off target: %s" % (path, name, ", ".join(bad)), file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("profile", choices=sorted(PROFILES))
    g.add_argument("--duration", type=float, required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", default="-")
    s = sub.add_parser("stats")
    s.add_argument("file")
    c = sub.add_parser("check")
    c.add_argument("profile", choices=sorted(PROFILES))
    c.add_argument("file")
    c.add_argument("--tolerance", type=float, default=0.10)
    sub.add_parser("profiles")
    a = ap.parse_args()
    if a.cmd == "gen":
        if a.duration <= 0:
            ap.error("--duration must be positive")
        out = sys.stdout if a.out == "-" else open(a.out, "w")
        n = gen(a.profile, a.duration, a.seed, out)
        if out is not sys.stdout:
            out.close()
        print("spcgen: %s: %d requests over %g s (seed %d)" % (a.profile, n, a.duration, a.seed),
              file=sys.stderr)
        return 0
    if a.cmd == "stats":
        for k, v in stats(a.file).items():
            print("%s=%s" % (k, round(v, 3) if isinstance(v, float) else v))
        return 0
    if a.cmd == "check":
        return check(a.profile, a.file, a.tolerance)
    for k, p in PROFILES.items():
        print(k, " ".join("%s=%s" % (x, p[x]) for x in sorted(p)), "rmean=%.0f" % read_mean(p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
