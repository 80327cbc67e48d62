#!/usr/bin/env bash
# The long fuzzing campaign (not run by CI): every target, coverage-guided
# with AddressSanitizer, for RUNS executions each (default 100 million),
# JOBS targets side by side (default 1). Prints one line per target:
# executions, executions per second, crashes, and where its log and
# crash artifacts are.
#
#   heartbeat-core/fuzz/campaign.sh                     # all targets
#   RUNS=1000000 heartbeat-core/fuzz/campaign.sh native_decode engine_pair
#
# Needs cargo-fuzz (installed here if missing) and either a nightly
# toolchain or RUSTC_BOOTSTRAP=1 on stable (set here when no nightly is
# installed). The committed seed corpora (corpus/<target>) are copied to
# work/<target> first, so a campaign never grows the repository.
set -euo pipefail
cd "$(dirname "$0")"

runs=${RUNS:-100000000}
jobs=${JOBS:-1}
all=(native_decode linuxha_decode decode_any config_files control_request engine_pair)
targets=("${@:-${all[@]}}")
[ $# -gt 0 ] || targets=("${all[@]}")

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

mkdir -p work logs
for t in "${targets[@]}"; do cargo "${toolchain[@]}" fuzz build --release "$t"; done

run_one() {
  local t=$1
  rm -rf "work/$t" && cp -r "corpus/$t" "work/$t"
  local started=$SECONDS
  set +e
  cargo "${toolchain[@]}" fuzz run --release "$t" "work/$t" -- \
    -runs="$runs" -print_final_stats=1 -rss_limit_mb=2048 >"logs/$t.log" 2>&1
  local status=$?
  set -e
  local execs rate crashes
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%-16s executions %12s  exec/s %9s  crashes %3s  exit %3s  %5ss  log %s\n' \
    "$t" "$execs" "$rate" "$crashes" "$status" "$((SECONDS - started))" "logs/$t.log"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
