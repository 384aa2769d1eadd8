"""A real browser for the page tests: Debian's chromium driven by Selenium through chromium-driver.

Both come from apt (`apt-get install -y chromium chromium-driver`; .ci/run installs them). Where they are
missing the browser tests are skipped with that message. Nothing is downloaded: the driver's path is given,
so Selenium Manager is never asked."""

import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
PHONE = (390, 844)
DESKTOP = (1280, 900)

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--lang=en-GB",
]


def find_chromium() -> tuple[str, str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed (it is pinned in requirements-dev.txt): browser tests skipped")
    if not binary or not driver:
        pytest.skip("chromium / chromium-driver are not installed (apt-get install -y chromium chromium-driver): "
                    "browser tests skipped")
    return binary, driver


class Browser:
    def __init__(self, timezone: str, size: tuple[int, int]):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        binary, driver = find_chromium()
        self.profile = tempfile.mkdtemp(prefix="links-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", f"--window-size={size[0]},{size[1]}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.set_page_load_timeout(30)
        self.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": timezone})
        self.resize(size)

    def resize(self, size: tuple[int, int]) -> None:
        width, height = size
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
        })

    def screenshot(self, name: str) -> Path:
        """The whole page (not just the window), so a long list of times is seen whole."""
        import base64

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1},
        })
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
