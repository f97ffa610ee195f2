"""Playwright driving Debian's Chromium against a live server (no browser download: executable_path).

Under CI=true a missing Chromium fails the run; elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("IAM_PORTAL_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread; the database calls the tests make
# around it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI and is missing at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A new page; at the end, no Content-Security-Policy violation may have been reported (every
    script, style and image of every page a test opened came from this server, none inline)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.csp_violations = violations  # a test may inspect (and clear) what it expects
    yield page
    context.close()
    assert violations == []


class Clock:
    """A controllable clock for TOTP codes, shared by the test and the live server (same process)."""

    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def totp_clock(monkeypatch):
    import time

    clock = Clock(float(int(time.time()) // 30 * 30 + 5))  # 5 s into a time step
    monkeypatch.setattr("django_otp.oath.time", clock)
    return clock
