#!/usr/bin/env python3
"""docs/architecture.md's module table against the tree: one row per folder of src/lucid (and no
row without one), and each row's "depends on" names exactly the Lucid modules its CMakeLists.txt
links (DEPS lucid::<module>). Prints every difference; exits 1 when there is one.
Usage: check_module_map.py [PROJECT_DIR]"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
doc = (root / "docs/architecture.md").read_text()
table = doc.split("## Modules so far", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
rows = {}
for line in table.splitlines():
    m = re.match(r"^\| `([a-z0-9_]+)` \|(.*)\|([^|]*)\|\s*$", line)
    if m:
        rows[m.group(1)] = m.group(3)

modules = sorted(p.name for p in (root / "src/lucid").iterdir() if p.is_dir())
problems = []
for name in sorted(set(rows) - set(modules)):
    problems.append(f"docs/architecture.md: row `{name}` has no folder src/lucid/{name}")
for name in modules:
    cmake = (root / "src/lucid" / name / "CMakeLists.txt").read_text()
    if not re.search(rf"lucid_library\(\s*{name}\b", cmake):
        problems.append(f"src/lucid/{name}/CMakeLists.txt: no lucid_library({name} ...)")
    if name not in rows:
        problems.append(f"docs/architecture.md: no row for module `{name}` (src/lucid/{name})")
        continue
    deps_text = cmake.split("DEPS", 1)[1] if "DEPS" in cmake else ""
    linked = set(re.findall(r"lucid::([a-z0-9_]+)", deps_text))
    named = {w for w in re.findall(r"[a-z0-9_]+", rows[name]) if w in modules}
    for missing in sorted(linked - named):
        problems.append(f"docs/architecture.md: `{name}` links {missing} (CMake DEPS) but its row does not say so")
    for extra in sorted(named - linked):
        problems.append(f"docs/architecture.md: `{name}`'s row says it depends on {extra}, which its CMake DEPS do not link")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"module map: {len(modules)} modules, docs/architecture.md agrees with src/lucid and the CMake DEPS")
