#!/bin/sh
# bench_rest.sh - REST vs gRPC throughput of GetMe and ListPlans on this machine
# (docs/performance-rest.md).  Report only, asserts nothing.
#   tests/gateway/bench_rest.sh BUILD_DIR [SECONDS]
# Needs SATH_TEST_DATABASE_URL / SATH_TEST_REDIS_URL (tests/fixtures/services.sh), wrk,
# h2load (nghttp2-client), curl, psql.  Starts its own sathd and stops it.
set -eu
build=${1:?usage: bench_rest.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
conns=${BENCH_CONNS:-64}
tmp=$(mktemp -d)
db=bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
admin=$(printf '%s' "$SATH_TEST_DATABASE_URL" | sed 's|/sath_test?|/postgres?|')
dburl=$(printf '%s' "$SATH_TEST_DATABASE_URL" | sed "s|/sath_test?|/$db?|")
psql -X -q "$admin" -c "CREATE DATABASE $db"
export SATH_DATABASE_URL="$dburl" SATH_REDIS_URL="$SATH_TEST_REDIS_URL"
export SATH_JWT_ED25519_KEY=$(head -c 32 /dev/urandom | base64)
# fixed free ports, so SATH_LOG_LEVEL may hide the "serving" line (access log off: warn)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc=$(free_port); http=$(free_port)
export SATH_GRPC_ADDR=127.0.0.1:$grpc SATH_HTTP_ADDR=127.0.0.1:$http SATH_LOG_LEVEL=${SATH_LOG_LEVEL:-info}
# one user and one address make all the load: the in-process limits must not refuse it
# (the limiter still runs on every call); separate limiter keys on the shared Redis
export SATH_RL_USER=${SATH_RL_USER:-1000000000/1} SATH_RL_PUBLIC_IP=${SATH_RL_PUBLIC_IP:-1000000000/1}
export SATH_RATELIMIT_PREFIX=$db:
"$build/server/main/sathd" migrate >/dev/null 2>&1
"$build/server/main/sathd" serve >"$tmp/sathd.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
            psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${BENCH_KEEP_LOG:-}" ] && trap "cp $tmp/sathd.log $BENCH_KEEP_LOG; cleanup" EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null && break; sleep 0.1; done
base=http://127.0.0.1:$http
curl -sf -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"bench password 1","name":"B"}' "$base/api/v1/auth/register" >/dev/null
tok=$(curl -sf -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"bench password 1"}' "$base/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
cat >"$tmp/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $tok"
LUA
printf '\0\0\0\0\0' >"$tmp/empty.bin"
echo "# cpus=$(nproc) secs=$secs conns=$conns log=$SATH_LOG_LEVEL http_threads=${SATH_HTTP_THREADS:-auto}"
for ep in "users/me|UserService/GetMe" "billing/plans|BillingService/ListPlans"; do
  rest=${ep%%|*}; rpc=${ep#*|}
  echo "## REST GET /api/v1/$rest"
  wrk -t2 -c"$conns" -d"${secs}s" -s "$tmp/auth.lua" "$base/api/v1/$rest" | grep -E 'Requests/sec|Latency|Non-2xx'
  echo "## gRPC /sath.v1.$rpc"
  h2load -D "$secs" -c 16 -m 16 -t 2 -d "$tmp/empty.bin" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H "authorization: Bearer $tok" "http://127.0.0.1:$grpc/sath.v1.$rpc" |
    grep -E 'finished in|requests:|status codes'
done
