#!/usr/bin/env python3
"""Picks the committed corpus of a fuzz target (docs/reliability.md): the hand-written seeds
and crash inputs in SEEDS_DIR (always kept), then, greedily, the `cargo fuzz cmin` output in
CMIN_DIR that adds the most coverage features not yet covered, up to MAX_FILES files and
MAX_BYTES bytes in all. The features come from a libFuzzer `-merge=1 -merge_control_file` pass.

Usage: select_corpus.py BINARY SEEDS_DIR CMIN_DIR OUT_DIR
  BINARY: the built target, fuzz/target/x86_64-unknown-linux-gnu/release/<target>"""
import os
import shutil
import subprocess
import sys
import tempfile

MAX_FILES, MAX_BYTES = 50, 200 * 1024

binary, seeds, cmin, out = (os.path.abspath(a) for a in sys.argv[1:5])
with tempfile.TemporaryDirectory() as scratch:
    control, empty = os.path.join(scratch, "control"), os.path.join(scratch, "empty")
    os.mkdir(empty)
    subprocess.run([binary, "-merge=1", f"-merge_control_file={control}", "-rss_limit_mb=4096",
                    "-timeout=30", empty, seeds, cmin],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    lines = open(control).read().split("\n")
# Control file: file count, count in the first dir, the file paths, then per-file records;
# "FT <index> <feature>..." lists the coverage features of one input.
count = int(lines[0])
files = lines[2:2 + count]
features = {f: set() for f in files}
for line in lines[2 + count:]:
    parts = line.split()
    if parts and parts[0] == "FT":
        features[files[int(parts[1])]] = set(map(int, parts[2:]))

chosen = [f for f in files if f.startswith(seeds + os.sep)]
covered = set().union(*(features[f] for f in chosen))
size = sum(os.path.getsize(f) for f in chosen)
while len(chosen) < MAX_FILES:
    best, gain = None, 0
    for f in files:
        g = len(features[f] - covered)
        if f not in chosen and g > gain and size + os.path.getsize(f) <= MAX_BYTES:
            best, gain = f, g
    if best is None:
        break
    chosen.append(best)
    covered |= features[best]
    size += os.path.getsize(best)

os.makedirs(out, exist_ok=True)
for f in chosen:
    shutil.copy(f, os.path.join(out, os.path.basename(f)))
everything = set().union(*features.values())
print(f"{len(chosen)} files, {size} bytes, {len(covered)} of the {len(everything)} features "
      f"of {len(files)} inputs")
