"""A real headless Chromium for the HTML view's tests and benchmark: Debian's, driven by Playwright.

``playwright install`` downloads from a CDN and does not work offline, so Playwright is
launched on the system browser (``executable_path``). Outside CI a missing browser or
Playwright skips the test saying why; with ``CI`` set it fails the test instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",  # software rendering, as on CI machines without a GPU
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
]

# Collects what the page must never do; installed before the page's own script runs.
WATCH_SCRIPT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def chromium_path() -> str | None:
    """Debian's chromium binary, if installed."""
    return shutil.which("chromium") or (("/usr/bin/chromium") if Path("/usr/bin/chromium").exists() else None)


def require_browser() -> str:
    """The browser's path; skips (or in CI fails) the calling test when it or Playwright is missing."""
    why = None
    path = chromium_path()
    if path is None:
        why = "Debian's chromium is not installed (apt-get install chromium; `make dev` does it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "playwright is not installed (pip install -e '.[dev]')"
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a real browser for the HTML view tests: {why}")
        pytest.skip(why)
    assert path is not None
    return path


@dataclass
class Watched:
    """A page and everything it did that a safe page must not."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def open(self, path: Path, fragment: str = "") -> Any:
        """Load the file, wait for ``lineageView.ready``, and return the page."""
        self.page.goto(path.resolve().as_uri() + fragment)
        self.page.evaluate("window.lineageView.ready.then(() => true)")
        return self.page

    def view(self, expression: str, *args: Any) -> Any:
        """Evaluate ``lineageView.<expression>`` with JSON arguments."""
        return self.page.evaluate(f"(args) => window.lineageView.{expression}(...args)", list(args))


@contextmanager
def chromium(executable: str) -> Iterator[Any]:
    """A launched headless browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched_page(browser: Any, width: int = 1400, height: int = 900) -> Iterator[Watched]:
    """A fresh page whose errors, dialogs, requests and CSP violations are recorded."""
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    watched = Watched(page)
    page.add_init_script(WATCH_SCRIPT)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("console", lambda message: watched.console.append(message.text))
    page.on("request", lambda request: watched.requests.append(request.url))

    def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield watched
    finally:
        context.close()
