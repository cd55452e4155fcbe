"""Browser check of a report: render DIR/report.html to a PNG with headless Chromium.

The HTML report is one self-contained file (figures embedded as base64 PNG).
This script opens it in a real browser engine, takes a full-page screenshot
and checks that every <img> in the page was decoded by the browser (natural
width > 0), so a figure that would show as a broken image is caught.

    python experiments/render_report.py runs/flagship [--png runs/flagship/report-screenshot.png]

Needs Chromium (``apt-get install -y chromium``); without it the script says
so and exits 0 without doing anything (it is not part of the test suite).
Exit code 1 when the page has a figure the browser could not show.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")

# Runs in the page before the screenshot: the title becomes the number of images and of broken ones.
CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt.slice(0, 60));
  document.title = 'IMAGES ' + imgs.length + ' BROKEN ' + broken.length + ' ' + JSON.stringify(broken);
});
</script>"""


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def run(browser: str, args: list[str], timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, *args], capture_output=True, text=True, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path, help="result folder with report.html (queuesim run --out DIR --report)")
    parser.add_argument("--png", type=Path, help="screenshot file (default: DIR/report-screenshot.png)")
    parser.add_argument("--width", type=int, default=1400, help="window width in pixels (default 1400)")
    parser.add_argument("--height", type=int, default=6000, help="window height in pixels (default 6000)")
    args = parser.parse_args(argv)

    page = args.dir / "report.html"
    if not page.exists():
        print(f"error: {page} does not exist; write it with `queuesim report {args.dir}`", file=sys.stderr)
        return 2
    browser = find_chromium()
    if browser is None:
        print("skipped: no Chromium found (install it with `apt-get install -y chromium`); nothing was checked")
        return 0
    png = args.png or args.dir / "report-screenshot.png"
    html = page.read_text(encoding="utf-8")
    n_figures = len(re.findall(r"<img ", html))

    with tempfile.TemporaryDirectory(prefix="queuesim-chromium-") as tmp:
        profile = Path(tmp) / "profile"
        # 1. The screenshot of the report exactly as written.
        shot = run(browser, [f"--user-data-dir={profile}", f"--screenshot={png.resolve()}",
                             f"--window-size={args.width},{args.height}", page.resolve().as_uri()])
        if not png.exists():
            print(f"error: Chromium wrote no screenshot:\n{shot.stderr[-2000:]}", file=sys.stderr)
            return 1
        # 2. The same page with a check script: did the browser decode every image?
        probe = Path(tmp) / "probe.html"
        probe.write_text(html.replace("</body>", CHECK + "</body>"), encoding="utf-8")
        dom = run(browser, [f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
                            probe.as_uri()])
    match = re.search(r"<title>IMAGES (\d+) BROKEN (\d+) (.*?)</title>", dom.stdout)
    if not match:
        print(f"error: could not read the image check from Chromium's DOM:\n{dom.stderr[-2000:]}", file=sys.stderr)
        return 1
    images, broken, which = int(match.group(1)), int(match.group(2)), match.group(3)
    print(f"screenshot: {png} ({args.width}x{args.height} window)")
    print(f"figures in report.html: {n_figures}; decoded by Chromium: {images - broken} of {images}")
    if broken:
        print(f"error: {broken} figure(s) not shown: {which}", file=sys.stderr)
        return 1
    print("ok: every figure is visible")
    return 0


if __name__ == "__main__":
    sys.exit(main())
