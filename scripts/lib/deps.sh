# scripts/lib/deps.sh - the Debian 12 packages SATH needs, and a function that installs
# whichever are missing.  Sourced by scripts/run and scripts/test.

# Build and run time.
SATH_DEPS_BUILD=(
  build-essential cmake ninja-build pkg-config git
  protobuf-compiler libprotobuf-dev libprotoc-dev protobuf-c-compiler libprotobuf-c-dev
  golang-github-gogo-googleapis-dev grpc-proto libgrpc-dev
  libpq-dev libhiredis-dev libsodium-dev libcurl4-openssl-dev libjansson-dev
  libmicrohttpd-dev libcrypt-dev libzxcvbn-dev curl
)
# Servers scripts/run starts itself (unless the operator brings their own).
SATH_DEPS_SERVERS=(postgresql redis-server influxdb)
# Tests only: cmocka, fuzzing with clang/libFuzzer, third-party gRPC clients for interop.
SATH_DEPS_TEST=(
  libcmocka-dev clang libclang-rt-14-dev
  python3 python3-grpcio python3-grpc-tools python3-protobuf python3-requests openssl
)
# Container engines for the docker bot backend's tests (tests/fixtures/engines.sh): Docker
# 20.10 and podman's Docker-compatible API, runc for both, a static busybox for the test
# image, curl for the image import (scripts/bot-image.sh); podman's CNI plugins (a Recommends
# that --no-install-recommends would leave out; Debian 12's podman uses CNI, not netavark).
SATH_DEPS_ENGINES=(docker.io podman runc containernetworking-plugins busybox-static curl)
# The SDK's tests: its libuv example (async calls) and the valgrind run of the examples.
SATH_DEPS_TEST+=(libuv1-dev valgrind)

# sath_install_missing PKG... : apt-get install the packages not yet installed.
sath_install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Benchmarks only (scripts/bench): the grpc++ reference server, h2load/nghttp, wrk for
# REST, jq for the figures, perf for CPU per call.
SATH_DEPS_BENCH=(libgrpc++-dev protobuf-compiler-grpc nghttp2-client wrk jq linux-perf)

# npm (Swagger UI for /docs, the OpenAPI validator in the tests).  Some images ship
# Node.js with its own npm outside Debian's npm package; only install Debian's when no npm
# is on PATH, so an existing Node.js is never replaced.
sath_install_npm() {
  command -v npm >/dev/null 2>&1 || sath_install_missing npm
}
