#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR CC - installs the SDK (component "sdk", as a user would from
# the build scripts/run makes) from BUILD_DIR into a fresh prefix, then builds
#   - tests/sdk/consumer (consumer.c) and every installed example with pkg-config,
#   - the same with find_package(sathclient): consumer (shared and static) and the
#     installed examples directory as a project of its own,
# and runs them.  With SATH_SERVER, SATH_EMAIL and SATH_PASSWORD set (torture_examples.c
# starts a sathd with a sath-orchestrator running the real sath-bot, and registers the
# account) the examples run against that server, the pkg-config and the CMake builds
# both; bot_logs must print log lines its own run of the bot wrote.  With SATH_VALGRIND=1
# they run once more under valgrind with the installed suppressions, which must report
# no error.
# $CFLAGS is passed on (sanitizer builds).
set -eu
build=$1
src=$2
cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --component sdk --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name sathclient.pc | head -n1)")
libdir=$(dirname "$pcdir")
export LD_LIBRARY_PATH="$libdir"
export PKG_CONFIG_PATH="$pcdir"
examples=$(pkg-config --variable=examples sathclient)
supp=$(pkg-config --variable=valgrind_supp sathclient)
for f in "$supp" "$examples/CMakeLists.txt" "$examples/whoami.c" "$examples/signup_keys.c" \
         "$examples/bot_logs.c" "$examples/async_getme.c" "$(dirname "$examples")/ABI.md" "$(dirname "$examples")/reference.html"; do
    [ -f "$f" ] || { echo "not installed: $f"; exit 1; }
done
case " $(pkg-config --cflags sathclient) " in
    *NOMINMAX*) echo "pkg-config --cflags leaks gRPC's -DNOMINMAX"; exit 1 ;;
esac

echo "== pkg-config"
# shellcheck disable=SC2046
"$cc" ${CFLAGS:-} -Wall -Wextra -Werror -o "$tmp/consumer_pc" "$src/consumer.c" $(pkg-config --cflags --libs sathclient)
"$tmp/consumer_pc"
mkdir "$tmp/pc"
for ex in whoami signup_keys bot_logs async_getme; do
    extra=""
    [ "$ex" = async_getme ] && extra=libuv
    # shellcheck disable=SC2046,SC2086
    "$cc" ${CFLAGS:-} -Wall -Wextra -Wpedantic -Wwrite-strings -Werror -o "$tmp/pc/sath_$ex" \
        "$examples/$ex.c" $(pkg-config --cflags --libs sathclient $extra)
done

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
cmake -S "$examples" -B "$tmp/examples-build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_C_FLAGS="${CFLAGS:-}" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/examples-build" >/dev/null
for ex in whoami signup_keys bot_logs async_getme; do
    [ -x "$tmp/examples-build/sath_$ex" ] || { echo "CMake did not build sath_$ex"; exit 1; }
done

# bot_logs PROGRAM: starts the bot, follows its log until 5 lines of its run arrived,
# stops it.  Those lines ("| " in front) must be the real sath-bot's JSON lines, its
# "trading" line among them: a stream that only replayed an older run's tail, or a bot
# that never ran, fails here.
bot_logs() {
    # shellcheck disable=SC2086
    if ! $1 "$SATH_SERVER" 5 60 >"$tmp/bot_logs.out"; then
        cat "$tmp/bot_logs.out"; echo "bot_logs failed"; exit 1
    fi
    cat "$tmp/bot_logs.out"
    ours=$(grep -c '^| ' "$tmp/bot_logs.out" || true)
    [ "$ours" -ge 5 ] || { echo "bot_logs printed $ours lines of its run, not 5"; exit 1; }
    grep -q '^| stdout {"time":"[^"]*","level":"info","msg":"trading"' "$tmp/bot_logs.out" || {
        echo "bot_logs did not show the bot's \"trading\" line"; exit 1; }
    grep -q '^bot BOT_STATE_STOPPED (exit code 0)$' "$tmp/bot_logs.out" || {
        echo "bot_logs did not see its bot stop cleanly"; exit 1; }
}

if [ -n "${SATH_SERVER:-}" ]; then
    for dir in "$tmp/pc" "$tmp/examples-build"; do
        echo "== examples against $SATH_SERVER ($(basename "$dir"))"
        "$dir/sath_whoami" "$SATH_SERVER"
        "$dir/sath_signup_keys" "$SATH_SERVER"
        bot_logs "$dir/sath_bot_logs"
        "$dir/sath_async_getme" "$SATH_SERVER" 1000
    done
    if [ "${SATH_VALGRIND:-0}" = 1 ]; then
        echo "== valgrind with $supp"
        vg="valgrind -q --leak-check=full --show-leak-kinds=definite,possible"
        vg="$vg --errors-for-leak-kinds=definite,possible --error-exitcode=99 --suppressions=$supp"
        $vg "$tmp/pc/sath_whoami" "$SATH_SERVER"
        $vg "$tmp/pc/sath_signup_keys" "$SATH_SERVER"
        bot_logs "$vg $tmp/pc/sath_bot_logs"
        $vg "$tmp/pc/sath_async_getme" "$SATH_SERVER" 200
        # an unreachable server takes the error paths (UNAVAILABLE): clean as well
        if $vg "$tmp/pc/sath_whoami" 127.0.0.1:1; then
            echo "whoami against nothing succeeded"; exit 1
        elif [ $? -eq 99 ]; then
            echo "valgrind found errors on the error path"; exit 1
        fi
    fi
fi
echo "consumer: all builds ran"
