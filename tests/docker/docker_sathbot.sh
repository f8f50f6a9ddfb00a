#!/usr/bin/env bash
# tests/docker/docker_sathbot.sh ENGINE - the real sath-bot in a container, end to end, as a
# user drives it over REST (run by ctest per engine: docker, podman, swarm; see CMakeLists.txt).
#
# The other container tests run sath-bot-standin; this one packs the real sath-bot with
# scripts/bot-image.sh --program (the binary, libsathclient and the system libraries) and
# checks that, inside the container the backend makes (read-only root, /tmp tmpfs, user
# nobody, run token as a mounted file), the bot starts, fetches its run config through
# BotAgentService, trades on the sim feed and reports: GetBotStatus shows a heartbeat, equity
# and trades, GetBotLogs the bot's JSON lines, GetBotPerformance points and trades (from the
# test InfluxDB), and a stop removes the container (the service, on swarm).
#
# Needs tests/fixtures/services.sh (PostgreSQL, Redis, influxd) and tests/fixtures/engines.sh
# (SATH_TEST_DOCKER_HOST, SATH_TEST_PODMAN_HOST, SATH_TEST_SWARM_HOST) exported, as
# scripts/test does.  Everything it started is stopped at the end.
set -euo pipefail
engine=${1:?usage: docker_sathbot.sh docker|podman|swarm}
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/fixtures/sathd.sh"
: "${SATH_TEST_DATABASE_URL:?run through scripts/test (needs the test PostgreSQL)}"
: "${SATH_TEST_REDIS_URL:?run through scripts/test (needs the test Redis)}"
: "${SATH_TEST_INFLUX_URL:?run through scripts/test (needs the test InfluxDB)}"
case "$engine" in
docker) host=${SATH_TEST_DOCKER_HOST:-} backend=docker ;;
podman) host=${SATH_TEST_PODMAN_HOST:-} backend=docker ;;
swarm) host=${SATH_TEST_SWARM_HOST:-} backend=swarm ;;
*) echo "unknown engine $engine" >&2; exit 2 ;;
esac
[ -n "$host" ] || { echo "no $engine engine (tests/fixtures/engines.sh)" >&2; exit 1; }
sock=${host#unix://}

work=$(mktemp -d /tmp/sath-dsb.XXXXXX)
chmod 755 "$work"
db=dsb_${engine}_$$_$RANDOM
image=sath-bot-e2e-$engine-$$:latest
sathd_pid="" orch_pid=""
engine_api() { curl -sS --unix-socket "$sock" "$@"; }
# Ids of the containers (services, on swarm) made from this test's image.
ours() {
  local what='containers/json?all=1' py='for c in json.load(sys.stdin):
    if c["Image"].startswith(sys.argv[1]): print(c["Id"])'
  if [ "$engine" = swarm ]; then
    what=services py='for s in json.load(sys.stdin):
    if s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(sys.argv[1]): print(s["ID"])'
  fi
  engine_api "http://localhost/$what" | python3 -c "import json,sys
$py" "${image%:*}"
}
cleanup() {
  rc=$?
  set +e
  if [ -n "$orch_pid" ]; then kill -TERM "$orch_pid" 2>/dev/null; wait "$orch_pid"; fi
  # the orchestrator leaves bots running by design: remove this test's containers/services
  for id in $(ours); do
    if [ "$engine" = swarm ]; then engine_api -X DELETE "http://localhost/services/$id" >/dev/null
    else engine_api -X DELETE "http://localhost/containers/$id?force=1" >/dev/null; fi
  done
  sathd_fixture_stop
  if [ $rc -ne 0 ]; then
    echo "--- sathd log"; tail -n 30 "$work/sathd.log" 2>/dev/null
    echo "--- orchestrator log"; tail -n 40 "$work/orch.log" 2>/dev/null
  fi
  engine_api -X DELETE "http://localhost/images/$image?force=1" >/dev/null 2>&1
  sathd_fixture_drop "$db"
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

sathd_fixture_env "$db"
export SATH_INFLUX_URL=$SATH_TEST_INFLUX_URL SATH_INFLUX_DB=$db
sathd_fixture_start "$work" || fail "sathd"
base=http://127.0.0.1:$http

SATH_DOCKER_HOST=$host SATH_BOT_IMAGE=$image "$root/scripts/bot-image.sh" --program "$SATH_BOT_BIN" \
  >"$work/image.log" 2>&1 || { cat "$work/image.log"; fail "bot-image.sh"; }

# Bots reach sathd on loopback: host networking.  Fast ticks so the sim feed trades soon.
SATH_BOT_BACKEND=$backend SATH_DOCKER_HOST=$host SATH_BOT_IMAGE=$image SATH_BOT_NETWORK=host \
  SATH_BOT_SATHD_ADDR=127.0.0.1:$grpc SATH_ORCH_POLL_MS=200 SATH_BOT_STOP_GRACE_S=3 \
  SATH_BOT_STATE_DIR=$work/bots \
  SATH_BOT_ARGS="--tick-ms 40 --heartbeat-ms 300 --seed 42 --volatility 0.01" \
  "$SATH_ORCH_BIN" >/dev/null 2>"$work/orch.log" &
orch_pid=$!

# A JSON call: METHOD PATH [BODY]; prints the body, fails on a non-2xx answer.
api() {
  local m=$1 p=$2 body=${3:-} out code
  out=$(curl -sS -X "$m" -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} \
        ${body:+-d "$body"} -w '\n%{http_code}' "$base$p") || fail "$m $p: transport"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $code == 2* ]] || fail "$m $p: HTTP $code $out"
  printf '%s' "$out"
}
jget() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2"; }

token=""
email="e2e-$engine-$$@example.com" password="correct horse battery staple 42!"
api POST /api/v1/auth/register "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"E2E\"}" >/dev/null
token=$(jget "$(api POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}")" 'd["access_token"]')
api PUT /api/v1/bot/config '{"symbols":["BTCUSDT"],"capital_cents":100000,"risk_per_trade_bps":100,"mode":"BOT_MODE_PAPER","strategy":"sma_crossover"}' >/dev/null
started=$(date +%s)
api POST /api/v1/bot/start '{}' >/dev/null

# Within 30 s: running, a heartbeat, equity and at least one trade.
st=""
while :; do
  st=$(api GET /api/v1/bot/status)
  if [ "$(jget "$st" 'd.get("state")=="BOT_STATE_RUNNING" and bool(d.get("last_heartbeat_at")) and int(d.get("trades","0"))>0 and d.get("equity",0)>0')" = True ]; then
    break
  fi
  [ "$(jget "$st" 'd.get("state")')" = BOT_STATE_FAILED ] && fail "the bot failed: $st"
  [ $(($(date +%s) - started)) -le 30 ] || fail "no heartbeat with a trade within 30 s: $st"
  sleep 0.5
done
echo "$engine: running with heartbeat and $(jget "$st" 'd["trades"]') trades after $(($(date +%s) - started)) s, equity $(jget "$st" 'round(d["equity"],2)'), backend $(jget "$st" 'd["backend"]')"
[ "$(jget "$st" 'd["backend"]')" = "$backend" ] || fail "backend: $st"

logs=$(api GET '/api/v1/bot/logs?tail=200')
python3 - "$logs" <<'EOF' || fail "the logs are not the bot's JSON lines with a fill: ${logs:0:500}"
import json, sys
lines = json.loads(sys.argv[1])["lines"]
objs = [json.loads(l["text"]) for l in lines if l["stream"] == "stdout"]
assert objs and all({"time", "level", "msg"} <= o.keys() for o in objs), lines[:3]
assert any(o["msg"] == "trading" for o in objs) and any(o["msg"] == "fill" for o in objs)
EOF

since=$(date -u -d "@$((started - 60))" +%Y-%m-%dT%H:%M:%SZ)
perf=""
for _ in $(seq 40); do
  perf=$(api GET "/api/v1/bot/performance?since=$since&step=1s")
  [ "$(jget "$perf" 'len(d.get("points",[]))>0 and len(d.get("trades",[]))>0')" = True ] && break
  sleep 0.5
done
[ "$(jget "$perf" 'len(d.get("points",[]))>0 and len(d.get("trades",[]))>0')" = True ] \
  || fail "GetBotPerformance has no points or trades: ${perf:0:400}"
echo "$engine: performance $(jget "$perf" 'len(d["points"])') points, $(jget "$perf" 'len(d["trades"])') trades"

api POST /api/v1/bot/stop '{}' >/dev/null
for _ in $(seq 240); do
  st=$(api GET /api/v1/bot/status)
  [ "$(jget "$st" 'd.get("state")')" = BOT_STATE_STOPPED ] && break
  sleep 0.25
done
[ "$(jget "$st" 'd.get("state")')" = BOT_STATE_STOPPED ] || fail "not stopped within 60 s: $st"
left=$(ours | wc -l)
[ "$left" = 0 ] || fail "$left containers/services of the stopped bot are left on $engine"
echo "$engine: stopped, nothing left on the engine"
