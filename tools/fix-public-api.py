#!/usr/bin/env python3
"""Brings the PublicAPI.Unshipped.txt files in line with the code after an intended API change.

Usage: dotnet build Functional.sln 2>&1 | python3 tools/fix-public-api.py
It reads the RS0016 (symbol not declared) and RS0017 (declared symbol not found) diagnostics of the build output,
adds and removes those lines, and prints what it changed. Review the diff: the files are the record of the public API.
"""
import re
import sys
from collections import defaultdict

pattern = re.compile(r"^(?P<file>/\S+?)\(\d+,\d+\): error (?P<code>RS001[67]): Symbol '(?P<symbol>.*)' is (?:not part of the declared public API|part of the declared API, but is either not public or could not be found) .*\[(?P<project>[^\]]+)\]$")
add, remove = defaultdict(set), defaultdict(set)
for line in sys.stdin:
    m = pattern.match(line.strip())
    if not m:
        continue
    api = m["project"].rsplit("/", 1)[0] + "/PublicAPI.Unshipped.txt"
    (add if m["code"] == "RS0016" else remove)[api].add(m["symbol"])
for api in sorted(set(add) | set(remove)):
    lines = open(api, encoding="utf-8").read().splitlines()
    header, body = lines[:1], lines[1:]
    kept = [l for l in body if l not in remove[api]]
    new = sorted(add[api] - set(kept))
    open(api, "w", encoding="utf-8").write("\n".join(header + kept + new) + "\n")
    print(f"{api}: -{len(body) - len(kept)} +{len(new)}")
