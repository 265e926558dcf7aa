#!/usr/bin/env bash
# Build cost of the `ports` crate against the bare dependency set, with hyperfine.
#
#   benches/build-cost.sh [RUNS]
#
# Measures, each in its own target directory:
#   baseline  an empty library depending on serde (derive), serde-saphyr, quote,
#             proc-macro2, prettyplease and syn (full, parsing): clean debug build
#   ports     this repository's `ports` package (build.rs + include!): clean debug build
#   touch     `ports` rebuild after touching ports.yaml
#   no-op     `ports` build with nothing changed
# Needs hyperfine (Debian: apt-get install hyperfine). Results go to
# target/bench/build-cost.md.
set -euo pipefail
# Each build below has its own target directory, beside its manifest.
unset CARGO_TARGET_DIR
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
work=$root/target/bench
rm -rf "$work/baseline" "$work/ports"
mkdir -p "$work/baseline/src" "$work/ports/src"

cat >"$work/baseline/Cargo.toml" <<TOML
[package]
name = "baseline"
version = "0.1.0"
edition = "2024"

[dependencies]
serde = { version = "1", features = ["derive"] }
serde-saphyr = { version = "2.1", default-features = false, features = ["deserialize"] }
quote = "1"
proc-macro2 = "1"
prettyplease = "0.3"
syn = { version = "3", features = ["full", "parsing"] }

[workspace]
TOML
echo '//! Empty.' >"$work/baseline/src/lib.rs"

cat >"$work/ports/Cargo.toml" <<TOML
[package]
name = "ports"
version = "0.1.0"
edition = "2024"

[build-dependencies]
portolan = { path = "$root/crates/portolan", default-features = false, features = ["codegen"] }

[workspace]
TOML
cp "$root/build.rs" "$work/ports/"
cp "$root/src/lib.rs" "$work/ports/src/"
cp "$root/ports.yaml" "$work/ports/"
for d in baseline ports; do
  cp "$root/Cargo.lock" "$work/$d/"
  (cd "$work/$d" && cargo fetch --quiet && cargo build --quiet --offline)
done

cd "$work"
hyperfine --runs "$runs" --export-markdown build-cost.md \
  --prepare 'cargo clean --quiet --manifest-path baseline/Cargo.toml' \
  -n 'baseline: clean build' 'cargo build --quiet --offline --manifest-path baseline/Cargo.toml' \
  --prepare 'cargo clean --quiet --manifest-path ports/Cargo.toml' \
  -n 'ports: clean build' 'cargo build --quiet --offline --manifest-path ports/Cargo.toml' \
  --prepare 'touch ports/ports.yaml' \
  -n 'ports: rebuild after touching ports.yaml' 'cargo build --quiet --offline --manifest-path ports/Cargo.toml' \
  --prepare 'true' \
  -n 'ports: no-op build' 'cargo build --quiet --offline --manifest-path ports/Cargo.toml'
cat build-cost.md
echo
echo "Build dependencies of ports:"
(cd ports && cargo tree --offline -e build,normal --prefix depth | sed -n '1,40p')
