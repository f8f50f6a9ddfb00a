#!/usr/bin/python3
"""check_registered.py - fails when a test silently stopped being registered with ctest.

usage: check_registered.py BUILD_DIR MIN_TESTS

scripts/test runs it on every build before ctest.  It checks that
  - ctest knows at least MIN_TESTS tests (a minimum, so new tests never break it; raise
    it in scripts/test when you add tests),
  - every tests/**/torture_*.c is a registered test (named after the file, optionally with
    a folder prefix such as client_torture_sathctl or a variant suffix such as
    torture_backend_docker_podman),
  - every tests/**/test_*.py is run by some registered test's command line,
  - no tests/**/*.py uses a bare `assert` statement (python3 -O strips them, and a check
    that can vanish proves nothing; raise AssertionError or use unittest's methods).
A CMakeLists.txt that stops adding a folder, or an `if()` that quietly turns false, then
fails the suite instead of shrinking it.
"""
import ast
import json
import pathlib
import subprocess
import sys


def main():
    build, minimum = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    root = pathlib.Path(__file__).resolve().parent.parent
    out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, check=True,
                         capture_output=True, text=True).stdout
    tests = json.loads(out)["tests"]
    names = {t["name"] for t in tests}
    commands = " ".join(" ".join(t.get("command", [])) for t in tests)
    problems = []
    if len(tests) < minimum:
        problems.append(f"only {len(tests)} tests registered, at least {minimum} expected")
    for src in sorted((root / "tests").rglob("torture_*.c")):
        stem = src.stem
        if not any(n == stem or n.endswith("_" + stem) or n.startswith(stem + "_") for n in names):
            problems.append(f"{src.relative_to(root)} is not a registered test")
    for src in sorted((root / "tests").rglob("test_*.py")):
        if str(src) not in commands:
            problems.append(f"{src.relative_to(root)} is not run by any registered test")
    for src in sorted((root / "tests").rglob("*.py")):
        tree = ast.parse(src.read_text(encoding="utf-8"), str(src))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert):
                problems.append(f"{src.relative_to(root)}:{node.lineno}: bare assert (gone under python3 -O)")
    for p in problems:
        print("check_registered:", p, file=sys.stderr)
    if problems:
        return 1
    print(f"check_registered: {len(tests)} tests registered (minimum {minimum}), "
          "every torture_*.c and test_*.py among them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
