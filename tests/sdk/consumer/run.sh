#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR CC - installs the SDK from BUILD_DIR into a temporary prefix,
# then builds and runs tests/sdk/consumer (1) with pkg-config and (2) with
# find_package(sathclient) (shared and static).  $CFLAGS is passed on (sanitizer builds).
set -eu
build=$1
src=$2
cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name sathclient.pc | head -n1)")
libdir=$(dirname "$pcdir")
export LD_LIBRARY_PATH="$libdir"

echo "== pkg-config"
export PKG_CONFIG_PATH="$pcdir"
# shellcheck disable=SC2046
"$cc" ${CFLAGS:-} -Wall -Wextra -Werror -o "$tmp/consumer_pc" "$src/consumer.c" $(pkg-config --cflags --libs sathclient)
"$tmp/consumer_pc"

echo "== find_package(sathclient)"
cmake -S "$src" -B "$tmp/cmake-build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
"$tmp/cmake-build/consumer_shared"
"$tmp/cmake-build/consumer_static"
ldd "$tmp/cmake-build/consumer_shared" | grep -q "libsathclient.so.0 => $libdir" || {
    echo "consumer_shared is not linked against the installed libsathclient.so.0"; exit 1; }
if ldd "$tmp/cmake-build/consumer_static" | grep -q libsathclient; then
    echo "consumer_static uses the shared library"; exit 1
fi
echo "consumer: all builds ran"
