#!/usr/bin/env bash
# Reruns every benchmark behind BENCHMARKS.md.
#
#   benches/run.sh [all|cli|sync|stages|build] [RUNS]
#
#   cli     whole-process timings with hyperfine (check, assign, list, query,
#           sync) against a bare serde-saphyr parse of the same file (parse-only: a
#           generic spanned tree; parse-typed: typed structs, as a serde user writes), and
#           peak memory with /usr/bin/time
#   sync    sync of 1,000 per-service files: nothing to write, one service
#           moved (and which files that writes), everything written
#   stages  the divan benchmarks of each pipeline stage (crates/portolan-bench)
#   build   benches/build-cost.sh, plus the `ports` crate of a 10,000-service registry
#
# Needs hyperfine (Debian: apt-get install hyperfine) and GNU time (/usr/bin/time).
# Registries come from `gen-registry`; results go to target/bench/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
runs=${2:-10}
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/bench
out=$work/results
mkdir -p "$out"

cargo build --release --quiet --locked -p portolan-cli -p portolan-bench --bins
bin=$target/release
portolan=$bin/portolan
gen=$bin/gen-registry
parse=$bin/parse-only
typed=$bin/parse-typed

# name → gen-registry arguments
declare -A shapes=(
  [s100]="--services 100"
  [s1k]="--services 1000"
  [s10k]="--services 10000"
  [full]="--full-port-space"
  [sync1k]="--services 1000 --per-service-sync"
)

registries() {
  for name in "${!shapes[@]}"; do
    mkdir -p "$work/reg/$name"
    # shellcheck disable=SC2086
    "$gen" ${shapes[$name]} -o "$work/reg/$name/ports.yaml"
    cp "$work/reg/$name/ports.yaml" "$work/reg/$name/ports.yaml.orig"
    # Bring generated/ (and team files) up to date, so check measures a clean registry.
    "$portolan" sync -f "$work/reg/$name/ports.yaml" >/dev/null
  done
}

cli() {
  registries
  cd "$work/reg"
  local hf=(hyperfine -N --warmup 2 --runs "$runs" --style basic)
  for name in ${CHECK_SIZES:-s100 s1k s10k full}; do
    "${hf[@]}" --export-json "$out/check-$name.json" --export-markdown "$out/check-$name.md" \
      -n "parse $name" "$parse $name/ports.yaml" \
      -n "typed parse $name" "$typed $name/ports.yaml" \
      -n "check $name" "$portolan check -f $name/ports.yaml"
  done
  for name in ${COMMAND_SIZES:-s1k s10k full}; do
    "${hf[@]}" --export-json "$out/commands-$name.json" --export-markdown "$out/commands-$name.md" \
      --prepare "true" -n "parse $name" "$parse $name/ports.yaml" \
      --prepare "true" -n "typed parse $name" "$typed $name/ports.yaml" \
      --prepare "cp $name/ports.yaml.orig $name/ports.yaml" \
      -n "assign $name" "$portolan assign newcomer --description New -f $name/ports.yaml" \
      --prepare "cp $name/ports.yaml.orig $name/ports.yaml" -n "list json $name" "$portolan list --format json -f $name/ports.yaml" \
      --prepare "cp $name/ports.yaml.orig $name/ports.yaml" -n "query $name" "$portolan query svc-00042 -f $name/ports.yaml"
    cp "$name/ports.yaml.orig" "$name/ports.yaml"
  done
  {
    for cmd in "$parse full/ports.yaml" "$portolan check -f full/ports.yaml" \
      "$portolan list --format json -f full/ports.yaml"; do
      /usr/bin/time -f "%M KB peak RSS, %e s: ${cmd#"$bin"/}" $cmd >/dev/null 2>"$out/time.tmp" || true
      tail -1 "$out/time.tmp"
    done
  } >"$out/memory.txt"
  rm -f "$out/time.tmp"
  "$portolan" check -f full/ports.yaml >"$out/check-full-output.txt" || true
  cat "$out"/check-*.md "$out"/commands-*.md "$out/memory.txt"
  sync_bench
}

sync_bench() {
  [ -f "$work/reg/sync1k/ports.yaml.orig" ] || registries
  cd "$work/reg"
  local hf=(hyperfine -N --warmup 2 --runs "$runs" --style basic)
  cp sync1k/ports.yaml.orig sync1k/ports.yaml
  "$portolan" sync -f sync1k/ports.yaml >/dev/null
  # One service moved: its team file and the artifacts change, nothing else is written.
  sed 's/^      api: 1066$/      api: 2123/' sync1k/ports.yaml.orig >sync1k/ports.moved.yaml
  local p=$portolan
  "${hf[@]}" --export-json "$out/sync.json" --export-markdown "$out/sync.md" \
    --prepare "true" -n "sync 1k per-service files, nothing to write" "$p sync -f sync1k/ports.yaml" \
    --prepare "bash -c 'cp sync1k/ports.moved.yaml sync1k/ports.yaml && $p sync -f sync1k/ports.yaml >/dev/null && cp sync1k/ports.yaml.orig sync1k/ports.yaml'" \
    -n "sync 1k per-service files, one service moved" "$p sync -f sync1k/ports.yaml" \
    --prepare "rm -rf sync1k/services sync1k/generated" \
    -n "sync 1k per-service files, all written" "$p sync -f sync1k/ports.yaml"
  cp sync1k/ports.yaml.orig sync1k/ports.yaml
  "$p" sync -f sync1k/ports.yaml >/dev/null
  cp sync1k/ports.moved.yaml sync1k/ports.yaml
  echo "files written when one service moved:" >"$out/sync-written.txt"
  "$p" sync -f sync1k/ports.yaml >>"$out/sync-written.txt" || true
  cp sync1k/ports.yaml.orig sync1k/ports.yaml
  "$p" sync -f sync1k/ports.yaml >/dev/null
  cat "$out/sync.md" "$out/sync-written.txt"
}

stages() {
  (cd "$root" && cargo bench --locked -p portolan-bench --bench stages) | tee "$out/stages.txt"
}

build() {
  "$root/benches/build-cost.sh" "$runs"
  cp "$work/build-cost.md" "$out/"
  # The `ports` crate of a 10,000-service registry: build script and the generated code.
  local big=$work/ports10k
  # Its own target directory, beside its manifest, like build-cost.sh's.
  unset CARGO_TARGET_DIR
  rm -rf "$big"
  mkdir -p "$big/src"
  sed "s/^name = \"ports\"/name = \"ports10k\"/" "$work/ports/Cargo.toml" >"$big/Cargo.toml"
  cp "$root/build.rs" "$big/"
  cp "$root/src/lib.rs" "$big/src/"
  "$gen" --services 10000 -o "$big/ports.yaml"
  cp "$root/Cargo.lock" "$big/"
  (cd "$big" && cargo build --quiet --offline)
  (cd "$work" && hyperfine --runs "$runs" --export-markdown "$out/ports10k.md" \
    --prepare 'touch ports10k/ports.yaml' \
    -n 'ports, 10,000 services: rebuild after touching ports.yaml' \
    'cargo build --quiet --offline --manifest-path ports10k/Cargo.toml')
  wc -c "$big"/target/debug/build/ports10k-*/out/ports.rs | head -1 >>"$out/ports10k.md"
  cat "$out/ports10k.md"
}

case $what in
  all) cli; stages; build ;;
  cli) cli ;;
  sync) sync_bench ;;
  stages) stages ;;
  build) build ;;
  *) echo "usage: benches/run.sh [all|cli|sync|stages|build] [RUNS]" >&2; exit 2 ;;
esac
