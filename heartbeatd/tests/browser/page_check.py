#!/usr/bin/python3
"""Watch heartbeatd's status page in a real browser until a peer dies.

    page_check.py URL PEER [SCREENSHOT.png]

Opens URL in headless Chromium (through chromedriver, Debian packages
chromium, chromium-driver and python3-selenium), waits up to 60 s until
the node row tr[data-node=PEER] says data-status="active" and prints
ACTIVE, then up to 120 s until it says "dead" and prints DEAD; with a
third argument, saves a full-page screenshot there. Exits 0 then; on a
timeout exits 1 and prints the page's text for diagnosis.

Uses no network beyond URL: a fresh profile, background networking,
component updates and sync off, and chromedriver is named explicitly so
Selenium never looks for (or downloads) one.
"""

import base64
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ACTIVE_TIMEOUT_S = 60
DEAD_TIMEOUT_S = 120

# The status of PEER's row, read in one script so a re-render between two
# WebDriver calls cannot leave us holding a detached element.
ROW_STATUS = """
for (const r of document.querySelectorAll('tr[data-node]'))
    if (r.getAttribute('data-node') === arguments[0])
        return r.getAttribute('data-status');
return null;
"""


def browser(profile):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        sys.exit("page_check: chromium and chromedriver are needed "
                 "(apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1280,1000"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=driver),
                            options=opts)


def wait_for(drv, peer, wanted, timeout):
    """Polls PEER's row until its status is `wanted`; the last status seen
    when it never is."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = drv.execute_script(ROW_STATUS, peer)
        if seen == wanted:
            return True, seen
        time.sleep(0.2)
    return False, seen


def fail(drv, peer, wanted, seen, timeout):
    print("TIMEOUT: row %r not %r within %d s (last status: %r)"
          % (peer, wanted, timeout, seen), flush=True)
    try:
        print("--- page text ---\n" + drv.find_element("tag name", "body").text)
    except Exception as e:  # the page may not even have loaded
        print("(no page text: %s)" % e)
    return 1


def screenshot(drv, path):
    """The whole page, not only the window (DevTools' capture beyond the
    viewport)."""
    size = drv.execute_script(
        "const e = document.documentElement;"
        "return [e.scrollWidth, e.scrollHeight];")
    shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1],
                 "scale": 1}})
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    url, peer = argv[0], argv[1]
    with tempfile.TemporaryDirectory(prefix="page-check-") as profile:
        drv = browser(profile)
        try:
            drv.get(url)
            ok, seen = wait_for(drv, peer, "active", ACTIVE_TIMEOUT_S)
            if not ok:
                return fail(drv, peer, "active", seen, ACTIVE_TIMEOUT_S)
            print("ACTIVE", flush=True)
            ok, seen = wait_for(drv, peer, "dead", DEAD_TIMEOUT_S)
            if not ok:
                return fail(drv, peer, "dead", seen, DEAD_TIMEOUT_S)
            print("DEAD", flush=True)
            if len(argv) == 3:
                screenshot(drv, argv[2])
            return 0
        finally:
            drv.quit()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
