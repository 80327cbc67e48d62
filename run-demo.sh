#!/usr/bin/env bash
# The main job: validate the sample ha.d and print its effective configuration.
# authkeys must be mode 0600 and git does not keep modes, so work on a copy.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r ha.d "$work/ha.d"
chmod 600 "$work/ha.d/authkeys"
cargo run --quiet -p heartbeatd -- --config-dir "$work/ha.d" --node-name node1 --check
