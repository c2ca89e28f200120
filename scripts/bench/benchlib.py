# SPDX-License-Identifier: GPL-2.0
"""Shared helpers of the benchmark scripts (scripts/bench/*): reading fio's
JSON output, summarising repetitions (mean and spread), ratios to a peer,
Markdown tables, CSV and gnuplot PNG plots.

Use from a script:  sys.path.insert(0, "<top>/scripts/bench"); import benchlib
or from bash:       python3 "$top/scripts/bench/benchlib.py" COMMAND ARGS
"""

import csv
import json
import math
import os
import shutil
import subprocess
import sys


def fio_stats(path, op="write", job=0):
    """One fio job's figures from fio's JSON output (--output-format=json):
    iops, bw_kib, bw_bytes (bytes/s, not rounded to KiB), lat_avg_us/p50/
    p99/p999/max (us), ios, runtime_s, usr_cpu, sys_cpu (percent of one
    CPU). Latency is the total (submission plus completion: a driver that
    completes a write inside submit_bio, as an NVRAM buffer does, spends it
    all in submission) with percentiles when fio ran with
    --lat_percentiles=1, else completion latency (clat)."""
    with open(path) as f:
        text = f.read()
    # fio may print notices before the JSON object
    j = json.loads(text[text.index("{"):])["jobs"][job]
    d = j[op]
    lat = d.get("lat_ns") if "percentile" in d.get("lat_ns", {}) else d.get("clat_ns")
    pct = lat.get("percentile", {})
    return {
        "iops": d["iops"],
        "bw_kib": d["bw"],
        # an older fio has only the KiB/s figure
        "bw_bytes": d.get("bw_bytes", d["bw"] * 1024),
        "ios": d["total_ios"],
        "runtime_s": d["runtime"] / 1000.0,
        "lat_avg_us": lat["mean"] / 1000.0,
        "lat_p50_us": pct.get("50.000000", 0) / 1000.0,
        "lat_p99_us": pct.get("99.000000", 0) / 1000.0,
        "lat_p999_us": pct.get("99.900000", 0) / 1000.0,
        "lat_max_us": lat["max"] / 1000.0,
        "usr_cpu": j.get("usr_cpu", 0.0),
        "sys_cpu": j.get("sys_cpu", 0.0),
    }


class Summary:
    """Mean, min, max, sample standard deviation and count of repetitions."""

    def __init__(self, values):
        v = [float(x) for x in values]
        if not v:
            raise ValueError("no values to summarise")
        self.n = len(v)
        self.mean = sum(v) / self.n
        self.min = min(v)
        self.max = max(v)
        self.stdev = (math.sqrt(sum((x - self.mean) ** 2 for x in v) / (self.n - 1))
                      if self.n > 1 else 0.0)

    def spread(self):
        """Relative spread of the runs, (max - min) / mean, in percent."""
        return 100.0 * (self.max - self.min) / self.mean if self.mean else 0.0

    def fmt(self, digits=0):
        """'mean (min..max)', or just the mean for a single run."""
        f = "%%.%df" % digits
        if self.n == 1:
            return f % self.mean
        return (f + " (" + f + ".." + f + ")") % (self.mean, self.min, self.max)


def ratio(value, base):
    """value / base as text with three significant digits, '-' without a base."""
    if not base:
        return "-"
    return "%.3g" % (float(value) / float(base))


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def append_csv(path, row, fields):
    """Append one row (a dict) to a CSV file, writing the header first."""
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow(row)


def group(rows, *keys):
    """Rows grouped by the values of KEYS, in first-seen order."""
    out = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def md_table(headers, rows):
    """A Markdown table as text."""
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "---|" * len(headers)]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines) + "\n"


def plot(png, title, xlabel, ylabel, series, kind="lines", logx=False, logy=False,
         xtics=None, yrange=None, ymin=None):
    """Draw SERIES ({name: [(x, y), ...]}, in order) into PNG with gnuplot.
    kind: 'lines' (x numeric), 'points', or 'bars' (x are category labels,
    one cluster per label). Also writes PNG's data next to it (.dat) so the
    plot can be redrawn. yrange: (low, high), either None for automatic. ymin:
    the lower end of the y axis, also for bars (for a log scale, whose
    automatic range may hide small values). Returns False (and says why)
    when gnuplot is missing."""
    base = os.path.splitext(png)[0]
    dat = base + ".dat"
    names = list(series)
    with open(dat, "w") as f:
        if kind == "bars":
            labels = []
            for n in names:
                for x, _ in series[n]:
                    if x not in labels:
                        labels.append(x)
            f.write("label " + " ".join('"%s"' % n for n in names) + "\n")
            for lab in labels:
                vals = []
                for n in names:
                    d = dict(series[n])
                    vals.append(str(d.get(lab, "NaN")))
                f.write('"%s" %s\n' % (lab, " ".join(vals)))
        else:
            for i, n in enumerate(names):
                if i:
                    f.write("\n\n")
                f.write("# %s\n" % n)
                for x, y in series[n]:
                    f.write("%s %s\n" % (x, y))
    gp = ['set terminal pngcairo size 900,540 noenhanced font ",10"'
          if _has_cairo() else 'set terminal png size 900,540 noenhanced',
          'set output "%s"' % png,
          'set title "%s"' % title.replace('"', "'"),
          'set xlabel "%s"' % xlabel,
          'set ylabel "%s"' % ylabel,
          "set grid",
          "set key outside right top"]
    if logx:
        gp.append("set logscale x")
    if logy:
        gp.append("set logscale y")
    if yrange:
        gp.append("set yrange [%s:%s]" % tuple("*" if v is None else v for v in yrange))
    if xtics:
        gp.append("set xtics (%s)" % ", ".join('"%s" %s' % (t, t) for t in xtics))
    if kind == "bars":
        gp += ["set style data histograms", "set style histogram clustered gap 1",
               "set style fill solid 0.8 border -1", "set yrange [0:*]",
               "set xtics rotate by -30"]
        if ymin is not None:
            gp.append("set yrange [%g:*]" % ymin)
        cols = ", ".join('"%s" using %d:xtic(1) title columnheader(%d)' % (dat, i + 2, i + 2)
                         for i in range(len(names)))
        gp.append("plot " + cols)
    else:
        style = "linespoints" if kind == "lines" else "points pointsize 0.4"
        if ymin is not None:
            gp.append("set yrange [%g:*]" % ymin)
        gp.append("plot " + ", ".join('"%s" index %d using 1:2 with %s title "%s"'
                                       % (dat, i, style, n) for i, n in enumerate(names)))
    with open(base + ".gp", "w") as f:
        f.write("\n".join(gp) + "\n")
    if not shutil.which("gnuplot"):
        print("benchlib: gnuplot is not installed; %s not drawn" % png, file=sys.stderr)
        return False
    subprocess.run(["gnuplot", base + ".gp"], check=True)
    return True


_cairo = None


def _has_cairo():
    global _cairo
    if _cairo is None:
        try:
            out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True,
                                 text=True).stdout + ""
        except OSError:
            out = ""
        _cairo = "pngcairo" in out
    return _cairo


def cpu_busy_jiffies():
    """Busy time of all CPUs so far, in clock ticks (/proc/stat: every state
    but idle and iowait): the difference over a run, per I/O, is the CPU
    cost of an I/O through the whole stack (submitter, driver, workers)."""
    with open("/proc/stat") as f:
        for line in f:
            v = line.split()
            if v[0] == "cpu":
                return sum(int(x) for x in v[1:4] + v[6:9])
    raise RuntimeError("no cpu line in /proc/stat")


def cpu_us_per_io(busy_jiffies, ios):
    """Microseconds of CPU per I/O from a busy-time difference in ticks."""
    return int(busy_jiffies) * 1e6 / os.sysconf("SC_CLK_TCK") / max(int(ios), 1)


def _main(argv):
    """bash entry: 'fio-row JSON OP [KEY=VALUE]...' prints one CSV line of
    KEY values followed by the fio figures (see FIO_FIELDS); 'cpu-busy'
    prints cpu_busy_jiffies()."""
    if len(argv) >= 3 and argv[1] == "fio-row":
        s = fio_stats(argv[2], argv[3] if len(argv) > 3 else "write")
        extra = [a.split("=", 1)[1] for a in argv[4:]]
        print(",".join(extra + ["%.2f" % s[k] for k in FIO_FIELDS]))
        return 0
    if len(argv) == 2 and argv[1] == "cpu-busy":
        print(cpu_busy_jiffies())
        return 0
    if len(argv) == 2 and argv[1] == "fio-fields":
        print(",".join(FIO_FIELDS))
        return 0
    print("usage: benchlib.py fio-row JSON [read|write] [KEY=VALUE]... | fio-fields | cpu-busy",
          file=sys.stderr)
    return 2


FIO_FIELDS = ["iops", "bw_kib", "lat_avg_us", "lat_p50_us", "lat_p99_us", "lat_p999_us",
              "lat_max_us", "usr_cpu", "sys_cpu"]

if __name__ == "__main__":
    sys.exit(_main(sys.argv))
