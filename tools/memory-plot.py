#!/usr/bin/env python3
"""Draws the resident-set traces of benchmarks --linear (memory-NxDxV-backward.csv) as an SVG: one line per library,
the rise of the process's resident set over the call's time, beside a line at N*V*4 bytes (one copy of the logits).

    tools/memory-plot.py BenchmarkDotNet.Artifacts/linear/<stamp>-native/memory-1024x1024x32000-backward.csv docs/out.svg

No plotting library needed: the SVG is written by hand."""
import csv
import re
import sys

source, target = sys.argv[1], sys.argv[2]
shape = re.search(r"memory-(\d+)x(\d+)x(\d+)-(\w+)\.csv", source)
n, d, v, mode = int(shape[1]), int(shape[2]), int(shape[3]), shape[4]
series = {}
with open(source) as f:
    for row in csv.DictReader(f):
        series.setdefault(row["library"], []).append((float(row["ms"]), int(row["rise_bytes"]) / 2**20))

logits = n * v * 4 / 2**20
width, height, left, right, top, bottom = 760, 360, 70, 20, 40, 50
x_max = max(t for points in series.values() for t, _ in points)
y_max = max(max(m for points in series.values() for _, m in points), logits) * 1.1
def x(t): return left + (width - left - right) * t / x_max
def y(m): return height - bottom - (height - top - bottom) * m / y_max

colors = {"xent": "#1f77b4", "libtorch": "#d62728"}
names = {"xent": "Xent LinearCrossEntropy", "libtorch": "libtorch F.linear + F.cross_entropy" + (" + backward" if mode == "backward" else "")}
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{left}" y="20" font-size="14">Extra resident memory during one call, {n} × {d} × {v} float32, forward {"and gradients" if mode == "backward" else "only"}</text>',
       f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="black"/>',
       f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{top}" stroke="black"/>']
step = 100 if y_max > 300 else 50 if y_max > 120 else 20
for m in range(0, int(y_max) + 1, step):
    out.append(f'<text x="{left - 8}" y="{y(m) + 4}" text-anchor="end">{m}</text>')
    out.append(f'<line x1="{left}" y1="{y(m)}" x2="{width - right}" y2="{y(m)}" stroke="#eee"/>')
t_step = 10 ** len(str(int(x_max / 5))) // 10 or 1
t_step = max(t_step, int(x_max / 8 // t_step * t_step) or t_step)
t = 0
while t <= x_max:
    out.append(f'<text x="{x(t)}" y="{height - bottom + 18}" text-anchor="middle">{t:g}</text>')
    t += t_step
out.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">milliseconds from the start of the call</text>')
out.append(f'<text x="16" y="{(top + height - bottom) / 2}" transform="rotate(-90 16 {(top + height - bottom) / 2})" text-anchor="middle">MiB above the resident set before the call</text>')
out.append(f'<line x1="{left}" y1="{y(logits)}" x2="{width - right}" y2="{y(logits)}" stroke="#888" stroke-dasharray="4 4"/>')
out.append(f'<text x="{width - right - 4}" y="{y(logits) - 4}" text-anchor="end" fill="#555">N·V·4 bytes: one copy of the logits ({logits:.0f} MiB)</text>')
for i, (library, points) in enumerate(sorted(series.items(), key=lambda kv: kv[0] != "libtorch")):
    path = " ".join(f"{x(t):.1f},{y(m):.1f}" for t, m in points)
    out.append(f'<polyline fill="none" stroke="{colors.get(library, "black")}" stroke-width="2" points="{path}"/>')
    peak = max(m for _, m in points)
    out.append(f'<text x="{left + 10}" y="{top + 16 + 16 * i}" fill="{colors.get(library, "black")}">{names.get(library, library)}: peak {peak:.1f} MiB</text>')
out.append("</svg>")
with open(target, "w") as f:
    f.write("\n".join(out) + "\n")
