"""Every benchmark can run at a tiny size (``--smoke``), so ``make bench-smoke`` (run by
``make test-services`` in CI) runs it and a bench broken by a change fails CI. This test fails
when a new bench script forgets the mode, since the Makefile would then silently leave it out."""

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
#: Scripts under bench/ that measure nothing themselves: the data generator the import bench
#: uses, and the WSGI wrapper the export bench serves.
NOT_BENCHES = {"rwd_dataset.py", "exports_wsgi.py"}


def runnable_scripts():
    for path in sorted(BENCH.glob("*.py")):
        if path.name.startswith("_") or path.name in NOT_BENCHES:
            continue
        yield path


def calls_parse_args(tree):
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", "") == "parse_args"
               for node in ast.walk(tree))


def test_there_are_benches():
    assert len(list(runnable_scripts())) >= 6


def test_every_bench_has_a_smoke_mode():
    missing = [path.name for path in runnable_scripts()
               if not calls_parse_args(ast.parse(path.read_text()))]
    assert missing == [], f"benches without --smoke (use _django.parse_args): {missing}"


def test_the_makefile_runs_every_smoke_mode():
    makefile = (BENCH.parent / "Makefile").read_text()
    assert "bench-smoke" in makefile.split("test-services:")[1].split("\n\n")[0]
    assert "grep -l 'parse_args(parser' bench/[!_]*.py" in makefile
