#!/usr/bin/env bash
# What adding the `ports` crate costs a service workspace's clean build.
#
#   benches/marginal-build.sh [RUNS] [PORTOLAN_CRATE_DIR]
#
# A workspace with one service that already compiles clap (derive) and serde
# (derive) — what most services have — is built clean without and with a
# dependency on a `ports` crate made as `portolan init --crate` makes it
# (build.rs + include!). The difference is the marginal cost. Both builds use
# two jobs (-j2), each in its own target directory. PORTOLAN_CRATE_DIR defaults
# to this repository's crates/portolan, so a checkout of another revision can
# be compared. Needs hyperfine; results go to target/bench/marginal-build.md.
set -euo pipefail
unset CARGO_TARGET_DIR
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
crate=${2:-$root/crates/portolan}
work=$root/target/bench/marginal
rm -rf "$work"
for variant in without with; do
  dir=$work/$variant
  mkdir -p "$dir/svc/src" "$dir/ports/src"
  cat >"$dir/Cargo.toml" <<TOML
[workspace]
members = ["svc", "ports"]
resolver = "3"
TOML
  dep=""
  [ "$variant" = with ] && dep='ports = { path = "../ports" }'
  cat >"$dir/svc/Cargo.toml" <<TOML
[package]
name = "svc"
version = "0.1.0"
edition = "2024"

[dependencies]
clap = { version = "4", features = ["derive"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
$dep
TOML
  cat >"$dir/svc/src/main.rs" <<'RS'
#[derive(clap::Parser, serde::Serialize)]
struct Args {
    #[arg(long)]
    name: String,
}
fn main() {
    let args = <Args as clap::Parser>::parse();
    println!("{}", serde_json::to_string(&args).unwrap());
}
RS
  cat >"$dir/ports/Cargo.toml" <<TOML
[package]
name = "ports"
version = "0.1.0"
edition = "2024"

[build-dependencies]
portolan = { path = "$crate", default-features = false, features = ["codegen"] }
TOML
  printf 'fn main() {\n    portolan::build::generate("../ports.yaml");\n}\n' >"$dir/ports/build.rs"
  echo 'include!(concat!(env!("OUT_DIR"), "/ports.rs"));' >"$dir/ports/src/lib.rs"
  sed '/^sync:/,$d' "$root/ports.yaml" >"$dir/ports.yaml"
  (cd "$dir" && cargo fetch --quiet)
done
cd "$work"
hyperfine --runs "$runs" --export-markdown marginal-build.md \
  --prepare 'rm -rf without/target' -n 'service without ports' 'cargo build --quiet --offline -j2 --manifest-path without/Cargo.toml -p svc' \
  --prepare 'rm -rf with/target' -n 'service with ports' 'cargo build --quiet --offline -j2 --manifest-path with/Cargo.toml -p svc'
cp marginal-build.md "$root/target/bench/marginal-build.md"
