"""Benchmark the selection language (`lineage ls`) on a large store against a 10-artifact store.

Usage::

    python bench/select_bench.py --sizes 100k        # while developing
    python bench/select_bench.py --sizes 1M          # the issue's target (issue 11)

The target: on a 1M store, `lineage ls` with a graph operator and a small answer costs at most
1.5x the same on a 10-artifact store. Each case runs the large and the tiny command alternately,
as whole processes; medians with min-max. The section between the ``select`` markers of
bench/RESULTS.md is rewritten; the rest of the file is left as it is.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import LINEAGE, Sample, ensure_data, ensure_store, fmt, machine, median, run_process  # noqa: E402

START, END = "<!-- select:start -->", "<!-- select:end -->"


def cases(size: str, data: Path, timeout: float) -> list[tuple[str, list[str], list[str], bool]]:
    """(label, large command, tiny command, whether the 1.5x target applies)."""
    tiny_files = ensure_data("10", data)
    tiny_store, _ = ensure_store("10", data, tiny_files, timeout)
    tiny = orjson.loads(tiny_files["queries"].read_bytes())
    files = ensure_data(size, data)
    store, built = ensure_store(size, data, files, timeout)
    if built:
        print(f"  index build {size}: {built.seconds:.1f} s", file=sys.stderr)
    q = orjson.loads(files["queries"].read_bytes())
    big, small = ["--store", str(store)], ["--store", str(tiny_store)]
    return [
        (
            f"ls '+x' (x's ancestors: {q.get('small_ancestors', '?')} + 1 ids)",
            [LINEAGE, "ls", f"+{q['small']}", *big],
            [LINEAGE, "ls", f"+{tiny['small']}", *small],
            True,
        ),
        (
            "ls '2+x+1' (a small neighbourhood)",
            [LINEAGE, "ls", f"2+{q['small']}+1", *big],
            [LINEAGE, "ls", f"2+{tiny['small']}+1", *small],
            True,
        ),
        (
            "ls 'a+,+x' (the paths from a to x)",
            [LINEAGE, "ls", f"{q['path'][0]}+3,+{q['small']}", *big],
            [LINEAGE, "ls", f"{tiny['path'][0]}+3,+{tiny['small']}", *small],
            True,
        ),
        (
            "ls 'workflow:wf-1' --count (an indexed attribute)",
            [LINEAGE, "ls", "workflow:wf-1", "--count", *big],
            [LINEAGE, "ls", "workflow:wf-0", "--count", *small],
            False,
        ),
        (
            "ls 'workflow:wf-1,+x' --count (attribute and graph operator)",
            [LINEAGE, "ls", f"workflow:wf-1,+{q['small']}", "--count", *big],
            [LINEAGE, "ls", f"workflow:wf-0,+{tiny['small']}", "--count", *small],
            False,
        ),
        (
            "ls 'meta.owner:team-1' --count (metadata: a scan of the index in SQL)",
            [LINEAGE, "ls", "meta.owner:team-1", "--count", *big],
            [LINEAGE, "ls", "meta.owner:team-1", "--count", *small],
            False,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100k", help="comma-separated, from: 10k, 100k, 1M")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    rows = [
        "| size | case | large store (s) | 10-artifact store (s) | ratio | target <= 1.5x |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for size in [s for s in args.sizes.split(",") if s]:
        for label, large, tiny, target in cases(size, args.data, args.timeout):
            ours: list[Sample] = []
            base: list[Sample] = []
            for turn in range(args.repeat):
                order = [(large, ours), (tiny, base)] if turn % 2 == 0 else [(tiny, base), (large, ours)]
                for argv_, into in order:
                    into.append(run_process(argv_, timeout=args.timeout))
            value = median(ours) / median(base)
            verdict = ("yes" if value <= 1.5 else "**no**") if target else "-"
            rows.append(f"| {size} | {label} | {fmt(ours)} | {fmt(base)} | {value:.2f}x | {verdict} |")
            print(rows[-1], file=sys.stderr)
    section = "\n".join(
        [
            START,
            "## Selection: `lineage ls` on a large store vs a 10-artifact store (issue 11)",
            "",
            f"Run {started:%Y-%m-%d %H:%M} UTC with `python bench/select_bench.py --sizes {args.sizes} "
            f"--repeat {args.repeat}`. Machine: {machine()}. Whole processes, run alternately.",
            "",
            *rows,
            END,
        ]
    )
    text = args.out.read_text() if args.out.exists() else "# Benchmark results\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
