"""Screenshot TensorBoard's SCALARS view of a runs directory with headless Chromium.

    python scripts/screenshot_tensorboard.py runs docs/tensorboard_scalars.png

Starts TensorBoard on the loopback interface (a free port), loads the SCALARS view filtered
to the `eval/` tags in headless Chromium (Debian's `chromium` package), saves the picture,
and stops the server.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    """Serve, shoot, stop."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs_dir")
    parser.add_argument("out")
    parser.add_argument("--tag-filter", default="eval/")
    parser.add_argument("--wait-ms", type=int, default=20_000, help="rendering time budget")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        parser.error("headless Chromium is needed: apt-get install chromium")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir",
                               args.runs_dir, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/data/runs", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(3)  # let TensorBoard finish its first pass over the event files
        url = f"http://127.0.0.1:{port}/#scalars&tagFilter={args.tag_filter}"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", f"--user-data-dir={profile}",
                            "--window-size=1500,1100", "--hide-scrollbars",
                            f"--virtual-time-budget={args.wait_ms}",
                            f"--screenshot={args.out}", url],
                           check=True, capture_output=True, timeout=180)
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
