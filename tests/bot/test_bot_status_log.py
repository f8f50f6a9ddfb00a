#!/usr/bin/env python3
"""tests/bot/test_bot_status_log.py - sath-bot's periodic "status" log line.

A bot between trades must still show in its user's log that it is alive and how it
stands: every --status-ms it writes one JSON line, msg "status", with the wallet's
figures.  Runs the real binary offline (sim feed, no sathd): SATH_BOT_BIN.
"""
import json
import os
import subprocess
import sys


def run(status_ms):
    out = subprocess.run(
        [os.environ["SATH_BOT_BIN"], "--offline", "--symbols", "BTCUSDT,ETHUSDT", "--capital", "1000",
         "--strategy", "sma_crossover", "--seed", "42", "--ticks", "60", "--tick-ms", "10",
         "--status-ms", str(status_ms)],
        capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        sys.exit(f"sath-bot exited {out.returncode}: {out.stderr[-2000:]}")
    lines = [json.loads(l) for l in (out.stdout + out.stderr).splitlines() if l.startswith("{")]
    return lines


def main():
    lines = run(100)
    status = [l for l in lines if l["msg"] == "status"]
    final = [l for l in lines if l["msg"] == "final state"]
    # 60 ticks of 10 ms: about 600 ms, so 4 to 6 status lines
    if not 3 <= len(status) <= 7:
        sys.exit(f"expected about 5 status lines, got {len(status)}: {lines}")
    for l in status:
        f = l["fields"]
        for k in ("equity", "cash", "realized_pnl", "unrealized_pnl", "max_drawdown"):
            if not isinstance(f.get(k), (int, float)):
                sys.exit(f"status line without a number {k}: {l}")
        for k in ("trades", "wins", "losses"):
            if not isinstance(f.get(k), int):
                sys.exit(f"status line without a count {k}: {l}")
        if l["level"] != "info" or not l["time"].endswith("Z"):
            sys.exit(f"status line level/time: {l}")
    if len(final) != 1 or final[0]["fields"]["trades"] < status[-1]["fields"]["trades"]:
        sys.exit(f"the final state does not follow the last status: {final} {status[-1]}")
    # --status-ms 0: none
    quiet = [l for l in run(0) if l["msg"] == "status"]
    if quiet:
        sys.exit(f"--status-ms 0 still wrote {len(quiet)} status lines")
    print(f"{len(status)} status lines, last equity {status[-1]['fields']['equity']:.2f}; none with 0")


if __name__ == "__main__":
    main()
