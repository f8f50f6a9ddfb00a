#!/usr/bin/env bash
# tests/docker/bench_docker_bots.sh - benchmark of sath-orchestrator on the docker backend
# (not a timed test: it prints figures for docs/performance.md).
#
#   tests/docker/bench_docker_bots.sh [BUILD_DIR] [N_BOTS] [ENGINE]
#       defaults: build/dev, 20, docker (or podman, or swarm: the swarm backend, one
#       replicated service per bot on the private dockerd made a one-node swarm)
#
# Starts its own PostgreSQL + Redis (tests/fixtures/services.sh) and a private dockerd and
# podman (tests/fixtures/engines.sh), packs sath-bot-standin into an image with
# scripts/bot-image.sh --program, gives N users a bot whose desired state is running (in SQL,
# one NOTIFY: what N StartBot calls leave behind) and starts sath-orchestrator with
# SATH_BOT_BACKEND=docker.  Measures:
#   - time from the orchestrator's start to all N observed RUNNING (bot_instances.status)
#   - orchestrator CPU (user+sys) and peak RSS during that ramp, and CPU over 10 s of
#     steady state (each poll: an inspect and a log read per bot)
#   - memory per bot: the container's memory cgroup usage (GET /containers/{id}/stats)
#   - engine daemon RSS before and after (dockerd + its containerd + shims / podman + conmons)
#   - time to all N STOPPED after one UPDATE + NOTIFY
# Everything it started is stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build/dev}" && pwd)
n=${2:-20}
engine=${3:-docker}
. "$root/tests/fixtures/orchbench.sh"
orchbench_bins "$build"
work=$(mktemp -d /tmp/sath-bench-docker.XXXXXX)
chmod 755 "$work"
orch_pid=""
finish() {
  [ -n "$orch_pid" ] && { kill -TERM "$orch_pid" 2>/dev/null || true; wait "$orch_pid" 2>/dev/null || true; }
  "$root/tests/fixtures/engines.sh" stop "$work/engines" || true
  orchbench_db_stop "$work/svc"
  rm -rf "$work"
}
trap finish EXIT
orchbench_db_start "$work/svc"
eval "$("$root/tests/fixtures/engines.sh" start "$work/engines")"
backend=docker network=none
case "$engine" in
podman) host=$SATH_TEST_PODMAN_HOST ;;
swarm) host=$SATH_TEST_SWARM_HOST backend=swarm network=host ;; # swarm tasks: no "none"
*) host=$SATH_TEST_DOCKER_HOST ;;
esac
sock=${host#unix://}
api() { curl -sS --unix-socket "$sock" "http://localhost/v1.41$1"; }
SATH_DOCKER_HOST=$host SATH_BOT_IMAGE=sath-standin:bench "$root/scripts/bot-image.sh" \
  --program "$standin" >&2
orchbench_seed "$n" dbench
ms() { date +%s%3N; }
tree_rss_kb() { # RSS of the processes whose command matches $1 (pgrep -f pattern), summed
  local t=0 p r
  for p in $(pgrep -f "$1" || true); do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    t=$((t + ${r:-0}))
  done
  echo $t
}
if [ "$engine" = podman ]; then engine_pat="$sock|conmon"; else engine_pat="$work/engines/docker|$(dirname "$sock")/dx"; fi
engine_rss0=$(tree_rss_kb "$engine_pat")

export SATH_BOT_BACKEND=$backend SATH_DOCKER_HOST=$host SATH_BOT_IMAGE=sath-standin:bench
export SATH_BOT_NETWORK=$network SATH_BOT_STATE_DIR=$work/bots SATH_BOT_ARGS="--interval-ms 1000"
export SATH_BOT_MEMORY_BYTES=$((64 << 20)) SATH_BOT_PIDS_LIMIT=64
export SATH_ORCH_POLL_MS=${SATH_ORCH_POLL_MS:-1000} SATH_LOG_LEVEL=warn
t0=$(ms)
"$orch" 2>"$work/orch.log" &
orch_pid=$!
peak=0
while :; do
  up=$(orchbench_count running)
  r=$(awk '/^VmRSS/ {print $2}' "/proc/$orch_pid/status")
  [ "$r" -gt "$peak" ] && peak=$r
  [ "$up" -ge "$n" ] && break
  if [ $(( $(ms) - t0 )) -gt 300000 ]; then
    echo "timeout: $up of $n running" >&2; tail -5 "$work/orch.log" >&2; exit 1
  fi
  sleep 0.1
done
t1=$(ms)
cpu=$(awk -v k="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / k}' "/proc/$orch_pid/stat")
running=$(api '/containers/json?filters=%7B%22label%22%3A%5B%22sath.user%22%5D%7D' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
total=0 cnt=0
for id in $running; do
  u=$(api "/containers/$id/stats?stream=false" | sed -n 's/.*"memory_stats":{[^}]*"usage":\([0-9]*\).*/\1/p')
  [ -n "$u" ] && { total=$((total + u)); cnt=$((cnt + 1)); }
done
engine_rss1=$(tree_rss_kb "$engine_pat")
# steady state: every poll inspects each bot and reads its new log lines
c0=$(awk '{print $14 + $15}' "/proc/$orch_pid/stat")
sleep 10
steady=$(awk -v c0="$c0" -v k="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15 - c0) / k / 10 * 100}' "/proc/$orch_pid/stat")

t2=$(ms)
orchbench_stop_all
while [ "$(orchbench_count stopped)" -lt "$n" ]; do
  if [ $(( $(ms) - t2 )) -gt 300000 ]; then echo "timeout stopping" >&2; exit 1; fi
  sleep 0.1
done
t3=$(ms)

echo "bots:                         $n ($backend backend on $engine: $(api /version | sed -n 's/.*"Version":"\([^"]*\)".*"ApiVersion".*/\1/p' | head -1), sath-bot-standin image)"
echo "time to all RUNNING:          $((t1 - t0)) ms (from orchestrator start)"
echo "orchestrator CPU during ramp: $cpu s"
echo "orchestrator RSS peak:        $peak KiB"
echo "orchestrator CPU, steady:     $steady % of one core (10 s, $n bots logging, poll ${SATH_ORCH_POLL_MS} ms)"
echo "containers counted:           $cnt (by label, running)"
[ "$cnt" -gt 0 ] && echo "memory per bot (cgroup):      $((total / cnt / 1024)) KiB"
echo "engine RSS idle -> $n bots:    $engine_rss0 KiB -> $engine_rss1 KiB ($(( (engine_rss1 - engine_rss0) / n )) KiB per bot)"
echo "time to all STOPPED:          $((t3 - t2)) ms (one UPDATE + NOTIFY)"
echo "machine: $(nproc) cores, shared with other builds while measured"
