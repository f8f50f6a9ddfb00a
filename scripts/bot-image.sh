#!/usr/bin/env bash
# scripts/bot-image.sh - build the bot's container image without any registry: a rootfs tar
# made here and imported through the engine's API (POST /images/create?fromSrc=-), so it works
# the same on dockerd and on podman's Docker-compatible service, offline.
#
#   scripts/bot-image.sh [--program PATH]   # the bot binary + the shared libraries ldd finds
#   scripts/bot-image.sh --busybox          # a test image: static busybox, entrypoint sh -c
#
# Environment: SATH_DOCKER_HOST (default unix:///var/run/docker.sock), SATH_BOT_IMAGE (image
# name, default sath-bot:latest).  --program defaults to the sath-bot of $SATH_BUILD_DIR
# (build/run) once it exists.
#
# The image holds no secret and no configuration: the bot gets its ids and sathd's address in
# its environment and its run token in a read-only file mounted at run time (see
# server/bots/backend_docker.c).  It runs as nobody (65534:65534) with a read-only root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

mode=program
program=
while [ $# -gt 0 ]; do
  case "$1" in
  --busybox) mode=busybox ;;
  --program) program=${2:?--program needs a path}; shift ;;
  -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
  *) echo "bot-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

host=${SATH_DOCKER_HOST:-unix:///var/run/docker.sock}
case "$host" in
unix://*) sock=${host#unix://} ;;
*) echo "bot-image.sh: SATH_DOCKER_HOST must be unix:///path (got $host)" >&2; exit 2 ;;
esac
image=${SATH_BOT_IMAGE:-sath-bot:latest}
repo=${image%:*}
tag=${image##*:}
if [ "$repo" = "$image" ] || [[ "$tag" == */* ]]; then repo=$image; tag=latest; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sath-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rfs=$work/rootfs
mkdir -p "$rfs"/{bin,etc,tmp,run/secrets,usr/local/bin}
chmod 1777 "$rfs/tmp"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rfs/etc/group"

changes=()
if [ $mode = busybox ]; then
  bb=$(command -v busybox || true)
  [ -n "$bb" ] && file -L "$bb" 2>/dev/null | grep -q 'statically linked' \
    || { echo "bot-image.sh: a static busybox is needed (apt-get install busybox-static)" >&2; exit 1; }
  cp "$bb" "$rfs/bin/busybox"
  for a in $("$bb" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$rfs/bin/$a"
  done
  changes+=('ENTRYPOINT ["/bin/sh", "-c"]')
else
  if [ -z "$program" ]; then
    program=${SATH_BUILD_DIR:-$root/build/run}/server/orchestrator/sath-bot
  fi
  [ -x "$program" ] || { echo "bot-image.sh: no bot program at $program (--program PATH)" >&2; exit 1; }
  cp "$program" "$rfs/usr/local/bin/sath-bot"
  # Every shared library the program needs (and the dynamic loader): the system's at their
  # own paths, the others (libsathclient from the build tree, found through the program's
  # RUNPATH) in /usr/local/lib/sath, named by LD_LIBRARY_PATH.  Not at their build-tree
  # paths: a build under /tmp would be hidden by the bot's /tmp tmpfs.
  mkdir -p "$rfs/usr/local/lib/sath"
  for lib in $(ldd "$program" | grep -oE '/[^ ]+' | sort -u); do
    [ -e "$lib" ] || continue
    case "$lib" in
    /lib/* | /lib64/* | /usr/lib/* | /usr/lib64/*)
      mkdir -p "$rfs$(dirname "$lib")"
      cp -L "$lib" "$rfs$lib" ;;
    *) cp -L "$lib" "$rfs/usr/local/lib/sath/" ;;
    esac
  done
  changes+=('ENV LD_LIBRARY_PATH=/usr/local/lib/sath')
  # TLS to exchanges and AI providers needs the CA bundle.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$rfs/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$rfs/etc/ssl/certs/"
  fi
  changes+=('ENTRYPOINT ["/usr/local/bin/sath-bot"]')
fi
changes+=('USER 65534:65534' 'WORKDIR /tmp')

tar --numeric-owner --owner=0 --group=0 -C "$rfs" -cf "$work/rootfs.tar" .

# Query: fromSrc=- (the body is the rootfs), repo, tag, each change; all percent-encoded.
urlenc() { printf %s "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g'; }
# The tag goes inside repo ("name:tag", which Docker's API allows): podman 4.3 ignores a
# separate tag= on import and would name the image name:latest.
q="fromSrc=-&repo=$(urlenc "$repo:$tag")"
for c in "${changes[@]}"; do q="$q&changes=$(urlenc "$c")"; done
out=$(curl -sS --fail-with-body --unix-socket "$sock" -X POST \
  -H 'Content-Type: application/x-tar' --data-binary "@$work/rootfs.tar" \
  "http://localhost/images/create?$q") \
  || { echo "bot-image.sh: import failed: $out" >&2; exit 1; }
if printf %s "$out" | grep -q '"error'; then
  echo "bot-image.sh: import failed: $out" >&2
  exit 1
fi
size=$(stat -c %s "$work/rootfs.tar")
echo "bot-image.sh: imported $image ($mode, rootfs $((size / 1024)) KiB) into $host"
