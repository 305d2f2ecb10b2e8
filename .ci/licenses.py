#!/usr/bin/env python3
"""A cargo-deny-style license check that runs offline: every package of the dependency graph
(`cargo metadata --locked`) must be usable under at least one permissive license. Advisories need
RustSec's database from the network, which this machine does not have; see the README."""

import json
import re
import subprocess
import sys

ALLOWED = {
    "MIT", "Apache-2.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "0BSD",
    "Unicode-3.0", "Unicode-DFS-2016", "CC0-1.0", "Unlicense", "BSL-1.0", "MPL-2.0",
}
EXCEPTIONS = {"LLVM-exception"}


def tokens(expression):
    return re.findall(r"\(|\)|[A-Za-z0-9.+-]+", expression.replace("/", " OR "))


def parse(items):
    """expr := term (OR term)* ; term := factor (AND factor)* ; factor := id [WITH id] | ( expr )"""

    def expr(i):
        ok, i = term(i)
        while i < len(items) and items[i] == "OR":
            right, i = term(i + 1)
            ok = ok or right
        return ok, i

    def term(i):
        ok, i = factor(i)
        while i < len(items) and items[i] == "AND":
            right, i = factor(i + 1)
            ok = ok and right
        return ok, i

    def factor(i):
        if items[i] == "(":
            ok, i = expr(i + 1)
            return ok, i + 1
        ok = items[i] in ALLOWED
        i += 1
        if i < len(items) and items[i] == "WITH":
            ok = ok and items[i + 1] in EXCEPTIONS
            i += 2
        return ok, i

    ok, end = expr(0)
    return ok and end == len(items)


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
)
refused = []
for package in metadata["packages"]:
    license = package.get("license")
    if not license or not parse(tokens(license)):
        refused.append(f"{package['name']} {package['version']}: {license!r}")
if refused:
    print("packages without a permissive license:", *refused, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"{len(metadata['packages'])} packages, every one under a permissive license")
