#!/usr/bin/env bash
# tests/web/web_dashboard.sh - the dashboard's browser test (run by ctest, see CMakeLists.txt).
# Starts sathd (own database on the test PostgreSQL, own rate-limit prefix on the test Redis,
# ports 0) and sath-orchestrator (process backend, its own state dir), then runs
# dashboard.mjs in headless chromium.  Everything it started is stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fixtures/sathd.sh"
: "${SATH_TEST_DATABASE_URL:?run through scripts/test (needs the test PostgreSQL)}"
: "${SATH_TEST_REDIS_URL:?run through scripts/test (needs the test Redis)}"
work=$(mktemp -d /tmp/sath-web.XXXXXX)
chmod 755 "$work"
db=webdash_$$_$RANDOM
sathd_pid="" orch_pid=""
cleanup() {
  rc=$?
  set +e
  if [ -n "$orch_pid" ]; then kill -TERM "$orch_pid" 2>/dev/null; wait "$orch_pid"; fi
  # bots outlive the orchestrator: end the supervisors this test's orchestrator left
  for f in "$work"/bots/*/pid; do
    [ -f "$f" ] || continue
    sup=$(sed -n 's/.* sup=\([0-9]*\):.*/\1/p' "$f")
    if [ -n "$sup" ] && [ "$(cat "/proc/$sup/comm" 2>/dev/null)" = sath-bot-superv ]; then
      kill -TERM "$sup" 2>/dev/null
    fi
  done
  sathd_fixture_stop
  st=$?
  # sathd must end cleanly on SIGTERM (under ASan a leak makes this non-zero)
  [ $st -ne 0 ] && [ $rc -eq 0 ] && { echo "sathd exited with $st"; rc=1; }
  if [ $rc -ne 0 ]; then
    echo "--- sathd log"; tail -n 30 "$work/sathd.log" 2>/dev/null
    echo "--- orchestrator log"; tail -n 30 "$work/orch.log" 2>/dev/null
  fi
  sathd_fixture_drop "$db"
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

sathd_fixture_env "$db"
# Bot metrics (GetBotPerformance) when the test InfluxDB runs: the chart must then show points.
export SATH_WEBTEST_PERF=0
if [ -n "${SATH_TEST_INFLUX_URL:-}" ] && [ -n "${SATH_BOT_BIN:-}" ]; then
  export SATH_INFLUX_URL=$SATH_TEST_INFLUX_URL SATH_INFLUX_DB=$db SATH_WEBTEST_PERF=1
fi
sathd_fixture_start "$work" || exit 1

# The real sath-bot (paper, sim feed, fast ticks) when built, else the stand-in.
bot=${SATH_BOT_BIN:-$SATH_BOT_STANDIN} botargs="--interval-ms 200"
[ -n "${SATH_BOT_BIN:-}" ] && botargs="--tick-ms 40 --heartbeat-ms 300 --seed 42 --volatility 0.01"
SATH_BOT_STATE_DIR=$work/bots SATH_BOT_PROGRAM=$bot SATH_BOT_ARGS=$botargs SATH_ORCH_POLL_MS=200 \
  SATH_BOT_SATHD_ADDR=127.0.0.1:$grpc SATH_BOT_STOP_GRACE_S=3 \
  "$SATH_ORCH_BIN" >/dev/null 2>"$work/orch.log" &
orch_pid=$!

# puppeteer-core, once per build tree (a stamp keeps later runs off the network)
if [ ! -f "$SATH_WEBTEST_DIR/ok.stamp" ]; then
  mkdir -p "$SATH_WEBTEST_DIR"
  "$NPM" install --prefix "$SATH_WEBTEST_DIR" --no-audit --no-fund --loglevel=error puppeteer-core@24 >&2
  touch "$SATH_WEBTEST_DIR/ok.stamp"
fi
rm -rf "$SATH_SHOTS_DIR"; mkdir -p "$SATH_SHOTS_DIR"
"$NODE" "$here/dashboard.mjs" "http://127.0.0.1:$http" \
  "$SATH_SHOTS_DIR" "$CHROMIUM" "$work/chrome" "$SATH_WEBTEST_DIR"
