#!/usr/bin/env bash
# tests/bots/bench_bots.sh - benchmark of sath-orchestrator on the process backend (not
# a timed test: it prints figures for docs/performance.md).
#
#   tests/bots/bench_bots.sh [BUILD_DIR] [N_BOTS]     (default build/dev, 100)
#
# Starts a private PostgreSQL + Redis (tests/fixtures/services.sh), migrates, creates
# N users each with a bot whose desired state is running (straight in SQL, with one
# NOTIFY: what N StartBot calls would leave behind), starts sath-orchestrator with
# sath-bot-standin as the bot, and measures:
#   - time from the orchestrator's start to all N observed RUNNING (bot_instances.status)
#   - orchestrator CPU (user+sys) and RSS during that ramp and over 10 s of steady state
#   - memory per bot: PSS of each bot process and of its supervisor
#   - time to all N STOPPED after one UPDATE + NOTIFY
# Everything it started is stopped at the end (bots through the orchestrator).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build/dev}" && pwd)
n=${2:-100}
. "$root/tests/fixtures/orchbench.sh"
orchbench_bins "$build" "$build/server/orchestrator/sath-bot-supervisor"
work=$(mktemp -d /tmp/sath-bench-bots.XXXXXX)
chmod 755 "$work"
orch_pid=""
cleanup() {
  if [ -n "$orch_pid" ]; then kill -TERM "$orch_pid" 2>/dev/null || true; wait "$orch_pid" 2>/dev/null || true; fi
  # bots outlive the orchestrator: end any left (their supervisors, checked by name)
  for f in "$work"/bots/bot_user_*/pid; do
    [ -f "$f" ] || continue
    sup=$(sed -n 's/.* sup=\([0-9]*\):.*/\1/p' "$f")
    if [ -n "$sup" ] && [ "$(cat "/proc/$sup/comm" 2>/dev/null)" = sath-bot-superv ]; then
      kill -TERM "$sup" 2>/dev/null || true
    fi
  done
  sleep 0.5
  orchbench_db_stop "$work/svc"
  rm -rf "$work"
}
trap cleanup EXIT
orchbench_db_start "$work/svc"
orchbench_seed "$n" bench
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

export SATH_BOT_STATE_DIR=$work/bots SATH_BOT_PROGRAM=$standin SATH_BOT_ARGS="--interval-ms 1000"
export SATH_ORCH_POLL_MS=${SATH_ORCH_POLL_MS:-1000} SATH_LOG_LEVEL=warn
t0=$(now_ms)
"$orch" 2>"$work/orch.log" &
orch_pid=$!
peak_rss=0
while :; do
  r=$(orchbench_count running)
  rss=$(rss_kb "$orch_pid"); [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  [ "$r" -ge "$n" ] && break
  [ $(( $(now_ms) - t0 )) -gt 20000 ] && { echo "timeout: $r of $n running" >&2; tail -5 "$work/orch.log" >&2; exit 1; }
  sleep 0.05
done
t1=$(now_ms)
ramp_cpu=$(cpu_ticks "$orch_pid")
echo "bots:                         $n (process backend, sath-bot-standin)"
echo "time to all RUNNING:          $(( t1 - t0 )) ms (from orchestrator start)"
echo "orchestrator CPU during ramp: $(awk -v t="$ramp_cpu" -v k="$ticks" 'BEGIN {printf "%.2f s", t / k}')"
echo "orchestrator RSS peak:        $(( peak_rss )) KiB"
c0=$(cpu_ticks "$orch_pid")
sleep 10
c1=$(cpu_ticks "$orch_pid")
echo "orchestrator steady CPU:      $(awk -v d=$(( c1 - c0 )) -v k="$ticks" 'BEGIN {printf "%.1f %% of one core (10 s, poll %d ms)", 100 * d / k / 10, '"$SATH_ORCH_POLL_MS"'}')"
echo "orchestrator RSS steady:      $(rss_kb "$orch_pid") KiB"
# memory per bot: PSS of every bot and supervisor process (ours: their pidfiles)
bot_pss=0; sup_pss=0; seen=0
for f in "$work"/bots/bot_user_*/pid; do
  read -r _ sup bot _ < <(tr ' ' '\n' <"$f" | awk -F'[=:]' '/^run=/ {r=$2} /^sup=/ {s=$2} /^bot=/ {b=$2} END {print r, s, b}')
  bp=$(awk '/^Pss:/ {print $2}' "/proc/$bot/smaps_rollup" 2>/dev/null || echo 0)
  sp=$(awk '/^Pss:/ {print $2}' "/proc/$sup/smaps_rollup" 2>/dev/null || echo 0)
  bot_pss=$(( bot_pss + bp )); sup_pss=$(( sup_pss + sp )); seen=$(( seen + 1 ))
done
echo "memory per bot (PSS):         bot $(( bot_pss / seen )) KiB + supervisor $(( sup_pss / seen )) KiB ($seen bots)"
t2=$(now_ms)
orchbench_stop_all
while [ "$(orchbench_count stopped)" -lt "$n" ]; do
  [ $(( $(now_ms) - t2 )) -gt 120000 ] && { echo "timeout stopping" >&2; exit 1; }
  sleep 0.05
done
echo "time to all STOPPED:          $(( $(now_ms) - t2 )) ms"
echo "machine:                      $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared: other builds were running)"
