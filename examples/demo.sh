#!/usr/bin/env bash
# The README's main job: bring up the local lab (3 simulated VPS hosts from two vendors, sysvinit and busybox
# init), build the sample app's bundle, deploy it with 2 replicas spread over the vendors, and show the status.
# Tear down with: dist/vzmaster.mjs lab down
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
vz=dist/vzmaster.mjs

# The sample app: busybox-static and a config.json from runch spec.
app=examples/hello
rm -rf "$app/rootfs" "$app/config.json"
mkdir -p "$app/rootfs/bin"
cp /bin/busybox "$app/rootfs/bin/busybox"
for applet in sh echo sleep date hostname; do ln -s busybox "$app/rootfs/bin/$applet"; done
dist/runch.mjs spec --bundle "$app" --env 'GREETING=hello from vz' --user 65534:65534 \
  -- sh -c 'while true; do echo "$(date +%T) $GREETING"; sleep 5; done'

"$vz" lab status >/dev/null 2>&1 || "$vz" lab up --hosts 3 --busybox 1
"$vz" nodes
"$vz" deploy examples/hello.yml
sleep 2
"$vz" status
"$vz" logs hello -n 3
