"""The try-it page in a real headless browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import threading
import time

import httpx
import pytest
import uvicorn

from pilah.service.app import create_app
from pilah.service.settings import Settings

CHROMIUM = os.environ.get("PILAH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on PATH: install Debian's `chromium` (CI does: apt-get install chromium) or set "
    "PILAH_CHROMIUM",
)


@pytest.fixture(scope="module")
def live_server(small_model_dir, tmp_path_factory):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(model_dir=small_model_dir, feedback_db=tmp_path_factory.mktemp("p") / "f.db")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_page_analyses_an_example_and_highlights_the_agency(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page()
        requests_outside: list[str] = []
        page.on("request", lambda r: requests_outside.append(r.url) if not r.url.startswith(live_server) else None)
        page.goto(live_server + "/")
        page.click("#example-0")  # "sy udh 3 bln ngurus KK di Dukcapil Sarolangun ..."
        page.wait_for_selector("mark.agency", timeout=15_000)
        mark = page.locator("mark.agency").first
        assert mark.inner_text() == "Dukcapil Sarolangun"
        assert "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sarolangun" in mark.get_attribute("title")
        assert page.locator("#bars li.top").get_attribute("data-label") == "adminduk"
        assert page.locator("#labels span").first.inner_text() == "adminduk"
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        # typing a text of one's own works too
        page.fill("#text", "jalan kabupaten rusak berlubang, tolong Dinas PUPR Kabupaten Bogor perbaiki")
        page.click("#analyze")
        page.wait_for_function("document.querySelector('#bars li.top').dataset.label === 'infrastruktur'")
        browser.close()
    assert requests_outside == []  # no CDN, nothing fetched from outside
    assert (tmp_path / "page.png").stat().st_size > 10_000
