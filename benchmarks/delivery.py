"""What delivery adds to a sync: the shipped `run_sync` on the demo, with the report kept, the Atom feed
written and the e-mail sent to a loopback SMTP server (aiosmtpd, from the test extra).

    python -m benchmarks.delivery            # 3 demo syncs in a fresh temporary home
    python -m benchmarks.delivery --runs 5

Prints, per run: the whole sync, the delivery step (render once, kept report + latest.html, feed
rebuilt from the state, message built and sent), the message size and the feed's entries, with the
load average next to it (timings on a busy machine are not comparable with a quiet one).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import machine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delivery", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="demo syncs in one home (each picks 5 more papers)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from smtp_server import start_smtp_server  # the loopback server of the tests

    with tempfile.TemporaryDirectory(prefix="zotrec-bench-delivery-") as tmp:
        home = Path(tmp)
        os.environ["ZOTREC_HOME"] = str(home)
        os.environ["ZOTREC_SMTP_PASSWORD"] = "bench-password"
        server = start_smtp_server({"me@example.org": "bench-password"})
        try:
            config = home / "config.toml"
            config.write_text(
                f'[email]\nto = "me@example.org"\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
                f'user = "me@example.org"\n\n[feed]\npath = "{home / "picks.atom"}"\n',
                encoding="utf-8",
            )
            from zotrec.runner import SyncRequest, run_sync

            print(f"machine: {machine()}")
            print("run  sync_s  delivery_s  message_kB  feed_entries  load_avg_1m")
            for run in range(1, args.runs + 1):
                started = time.perf_counter()
                result, _ = run_sync(SyncRequest(demo=True, config_path=config, top=5 * run))
                total = time.perf_counter() - started
                delivery = result.delivery
                size = len(server.inbox[-1].message.as_bytes()) / 1000 if delivery.emailed else 0.0
                print(
                    f"{run:>3}  {total:6.2f}  {delivery.seconds:10.3f}  {size:10.1f}  {delivery.feed_entries:12d}"
                    f"  {os.getloadavg()[0]:11.2f}"
                )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
