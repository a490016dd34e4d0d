"""Refresh the third-party JavaScript inlined into the HTML view, from npm at the pinned versions.

Run ``python scripts/vendor_js.py`` after changing ``lineage_cli/export/html_assets/vendor/package.json``:
it installs the packages with ``npm`` (``npm ci`` when a lockfile exists) in a scratch directory,
copies each package's minified UMD bundle and licence next to the lockfile, and writes
``vendor.lock.json`` with every file's SHA-256, which ``tests/test_html_vendor.py`` checks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "lineage_cli" / "export" / "html_assets" / "vendor"
# Order matters: each UMD bundle attaches to the global `d3` the earlier ones built.
ORDER = [
    "d3-dispatch",
    "d3-selection",
    "d3-color",
    "d3-interpolate",
    "d3-ease",
    "d3-timer",
    "d3-transition",
    "d3-drag",
    "d3-zoom",
]


def main() -> int:
    """Install the pinned packages, copy their bundles and licences, and write the lock."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        shutil.copy(VENDOR / "package.json", work / "package.json")
        lock = VENDOR / "package-lock.json"
        if lock.exists():
            shutil.copy(lock, work / "package-lock.json")
        command = ["npm", "ci"] if lock.exists() else ["npm", "install"]
        subprocess.run([*command, "--no-audit", "--no-fund", "--loglevel=error"], cwd=work, check=True)
        if not lock.exists():
            shutil.copy(work / "package-lock.json", lock)
        packages = json.loads((work / "package-lock.json").read_text())["packages"]
        files = []
        notices = []
        for name in ORDER:
            root = work / "node_modules" / name
            meta = json.loads((root / "package.json").read_text())
            data = (root / "dist" / f"{name}.min.js").read_bytes()
            (VENDOR / f"{name}.min.js").write_bytes(data)
            files.append(
                {
                    "file": f"{name}.min.js",
                    "package": name,
                    "version": meta["version"],
                    "from": f"dist/{name}.min.js",
                    "license": meta["license"],
                    "integrity": packages[f"node_modules/{name}"]["integrity"],
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
            licence = (root / "LICENSE").read_text()
            notices.append(f"{name} {meta['version']} ({meta['license']})\n\n{licence.strip()}\n")
        (VENDOR / "LICENSES.txt").write_text(("\n" + "-" * 72 + "\n\n").join(notices))
        (VENDOR / "vendor.lock.json").write_text(json.dumps({"files": files}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
