#!/usr/bin/env python3
"""Appends a table row to docs/BENCHMARKS.md before the HTML comment marker '<!-- NAME rows -->'; when the marker is
missing, first appends SECTION (a heading, a text and the table's header) and the marker at the end.

    bench/append-row.py NAME SECTION ROW
"""
import sys

name, section, row = sys.argv[1:4]
path = "docs/BENCHMARKS.md"
marker = "<!-- " + name + " rows -->"
text = open(path).read()
if marker not in text:
    text += "\n" + section + ("" if section.endswith("\n") else "\n") + marker + "\n"
text = text.replace(marker, row.rstrip("\n") + "\n" + marker)
open(path, "w").write(text)
