"""The floor for `lineage build`: orjson-parse every line of the event log, then write the result.

Usage: ``python bench/floor.py EVENTS RESULT OUT`` parses EVENTS line by line (GC paused), then
serializes the lineage document RESULT (read beforehand, not timed) to OUT the way
``lineage build`` saves it (indented, fsynced). Prints ``seconds=`` of the timed part only.
"""

from __future__ import annotations

import gc
import os
import sys
import time

import orjson


def main(argv: list[str]) -> int:
    events, result, out = argv
    with open(result, "rb") as fh:
        document = orjson.loads(fh.read())
    gc.disable()
    start = time.perf_counter()
    with open(events, "rb") as fh:
        parsed = [orjson.loads(line) for line in fh.read().split(b"\n") if line]
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    with open(out, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    seconds = time.perf_counter() - start
    print(f"events={len(parsed)} seconds={seconds:.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
