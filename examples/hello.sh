#!/usr/bin/env bash
# The first job on a fresh machine: build a busybox bundle and run it under runch, in a private mount namespace
# so nothing stays mounted on this machine. (The multi-host lab demo replaces this once vzmaster lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
bundle=$(mktemp -d /tmp/vz-hello-XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh id pwd echo cut cat; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
dist/runch.mjs spec --bundle "$bundle" --env 'GREETING=hello from a chroot' --user 1000:1000 --cwd /home/app \
  -- sh -c 'echo "$GREETING"; id; pwd; cut -d" " -f2 /proc/self/mounts'
unshare --mount --propagation private -- dist/runch.mjs --root "$bundle/state" run --bundle "$bundle" hello
