//! `cargo build` of a copy of this crate: a conflict fails the build with one
//! located `cargo::error` line per finding and no panic; a valid registry
//! builds; a no-op build does not rerun the build script.
//!
//! Each test copies the package (build.rs, src/, ports.yaml) into a temporary
//! directory, with `portolan` as a path dependency of this checkout. The copies
//! share one target directory, so only the first compiles the build
//! dependencies; each gets its own package name because cargo hashes path
//! packages by name, not location, and would mix up their build outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn scratch_package(name: &str, registry: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scratch")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let portolan = Path::new(ROOT).join("crates/portolan");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ports-{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [build-dependencies]\nportolan = {{ path = {:?}, default-features = false, features = [\"codegen\"] }}\n\n\
             [workspace]\n",
            portolan.display().to_string(),
        ),
    )
    .unwrap();
    std::fs::copy(Path::new(ROOT).join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::copy(Path::new(ROOT).join("build.rs"), dir.join("build.rs")).unwrap();
    std::fs::copy(Path::new(ROOT).join("src/lib.rs"), dir.join("src/lib.rs")).unwrap();
    std::fs::write(dir.join("ports.yaml"), registry).unwrap();
    dir
}

fn cargo_build(dir: &Path) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(["build", "--offline", "--color", "never", "-v"])
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

/// The 1-based line and column of `value` on the line holding `context`.
fn locate(text: &str, context: &str, value: &str) -> (usize, usize) {
    let (i, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(context))
        .unwrap();
    let column = line.find(context).unwrap() + context.find(value).unwrap() + 1;
    (i + 1, column)
}

fn root_registry() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("ports.yaml")).unwrap()
}

#[test]
fn a_conflict_fails_the_build_with_located_errors() {
    // Courier's test API takes Pourtier's test port; Passeur's test bridge is port 0.
    let replace = |text: String, from: &str, to: &str| {
        assert!(text.contains(from), "{from:?} is not in ports.yaml");
        text.replace(from, to)
    };
    let registry = replace(
        root_registry(),
        "development: 9765, test: 7765,",
        "development: 9765, test: 7000,",
    );
    let registry = replace(
        registry,
        "bridge:  { production: 8768, development: 9768, test: 7768 }",
        "bridge:  { production: 8768, development: 9768, test: 0 }",
    );
    let dir = scratch_package("conflict", &registry);
    let output = cargo_build(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build must fail:\n{stderr}");
    let (line, column) = locate(&registry, "development: 9765, test: 7000,", "7000");
    let conflict = format!(
        "ports.yaml:{line}:{column}: error[port-conflict]: port 7000 of `courier.api` in test is already used by `pourtier.api` in test"
    );
    assert!(
        stderr.contains(&conflict),
        "missing {conflict:?} in:\n{stderr}"
    );
    let (line, column) = locate(&registry, "development: 9768, test: 0 }", "0 }");
    let invalid = format!("ports.yaml:{line}:{column}: error[invalid-port]");
    assert!(
        stderr.contains(&invalid),
        "missing {invalid:?} in:\n{stderr}"
    );
    assert!(
        stderr.contains("run `portolan check`"),
        "no hint in:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "the build script panicked:\n{stderr}"
    );
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "a backtrace hint leaked:\n{stderr}"
    );
    assert_eq!(
        stderr.matches("error[").count(),
        2,
        "one line per finding:\n{stderr}"
    );
}

/// Ports of different transports share a number; two UDP holders of one
/// number fail the build, both located.
#[test]
fn a_tcp_udp_pair_builds_and_a_udp_pair_fails_with_both_holders_located() {
    let statsd = "    statsd:        { port: 8125, protocol: udp, description: StatsD metrics }\n";
    let registry = root_registry();
    assert!(registry.contains(statsd), "ports.yaml has no UDP statsd");
    let pair = registry.replace(
        statsd,
        &format!("{statsd}    statsd-admin:  {{ port: 8125, description: StatsD admin }}\n"),
    );
    let dir = scratch_package("tcp-udp", &pair);
    let built = cargo_build(&dir);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let clash = registry.replace(
        statsd,
        &format!("{statsd}    statsd-relay:  {{ port: 8125, protocol: udp }}\n"),
    );
    let dir = scratch_package("udp-udp", &clash);
    let output = cargo_build(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build must fail:\n{stderr}");
    let (line, column) = locate(&clash, "statsd-relay:  { port: 8125", "8125");
    let (first_line, first_column) = locate(&clash, "statsd:        { port: 8125", "8125");
    let conflict = format!(
        "ports.yaml:{line}:{column}: error[port-conflict]: port 8125/udp of infrastructure `statsd-relay` is already used by infrastructure `statsd`; infrastructure `statsd` holds it at ports.yaml:{first_line}:{first_column}"
    );
    assert!(
        stderr.contains(&conflict),
        "missing {conflict:?} in:\n{stderr}"
    );
}

#[test]
fn a_valid_registry_builds_and_a_noop_build_does_not_rerun_the_script() {
    let dir = scratch_package("valid", &root_registry());
    let first = cargo_build(&dir);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = cargo_build(&dir);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains("Fresh ports-valid"),
        "the no-op build rebuilt ports:\n{stderr}"
    );
    assert!(
        !stderr.contains("build-script-build`"),
        "the build script ran again:\n{stderr}"
    );
    // The registry is the build script's only input: touching it reruns the script.
    let registry = dir.join("ports.yaml");
    std::fs::write(&registry, root_registry() + "# touched\n").unwrap();
    let third = cargo_build(&dir);
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert!(
        stderr.contains("Dirty ports-valid") && stderr.contains("ports.yaml` has changed"),
        "{stderr}"
    );
}

#[test]
fn the_build_script_writes_only_into_out_dir() {
    let dir = scratch_package("out-dir", &root_registry());
    let before = listing(&dir);
    let output = cargo_build(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = listing(&dir);
    let changed: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        changed.is_empty(),
        "the build wrote into the package: {changed:?}"
    );
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            // Cargo itself prunes the copied lock file; only the build script is on trial.
            if path.ends_with("Cargo.lock") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_build_dependency_graph_is_lean() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--package",
            "ports",
            "--edges",
            "build,normal",
            "--prefix",
            "none",
        ])
        .current_dir(ROOT)
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(tree.contains("portolan v"), "{tree}");
    for heavy in [
        "clap",
        "minijinja",
        "serde_json",
        "schemars",
        "serde_derive",
        // ports.yaml is read from the parser's events: no serde at all.
        "serde-saphyr",
        "serde_core",
    ] {
        assert!(
            !tree.contains(heavy),
            "{heavy} is in the build graph of ports:\n{tree}"
        );
    }
}

#[test]
fn stale_artifacts_warn_and_fail_in_ci() {
    let registry = root_registry();
    let dir = scratch_package("stale", &registry);
    std::fs::create_dir_all(dir.join("generated")).unwrap();
    let manifest = |text: &str| portolan::manifest::Manifest {
        inputs: vec![(
            "ports.yaml".into(),
            portolan::manifest::digest(text.as_bytes()),
        )],
        files: vec![(
            "generated/ports.json".into(),
            portolan::manifest::digest(b"{}"),
        )],
        edits: Vec::new(),
    };
    let manifest_path = dir.join("generated").join(portolan::manifest::FILE_NAME);
    let build = |ci: Option<&str>| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--offline", "--color", "never"])
            .current_dir(&dir)
            .env(
                "CARGO_TARGET_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch-target"),
            )
            .env_remove("RUSTFLAGS")
            .env_remove("CI");
        if let Some(ci) = ci {
            cmd.env("CI", ci);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stderr)
    };
    let hint = "generated/ was rendered from a different ports.yaml; run `portolan sync` and commit the result";

    // Rendered from this very registry: silent.
    std::fs::write(&manifest_path, manifest(&registry).render()).unwrap();
    let (ok, stderr) = build(None);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains(hint), "{stderr}");

    // Rendered from another registry: a warning, and the build still succeeds.
    std::fs::write(&manifest_path, manifest("project: other\n").render()).unwrap();
    let (ok, stderr) = build(None);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(&format!("warning: ports-stale@0.1.0: {hint}")),
        "{stderr}"
    );

    // The same in CI is an error.
    let (ok, stderr) = build(Some("true"));
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains(&format!("error: ports-stale@0.1.0: {hint}")),
        "{stderr}"
    );
}

/// Hostile registries from the CLI's corpus fail `cargo build` with their
/// located finding and no panic; Rust keywords as names build.
#[test]
fn hostile_registries_fail_the_build_cleanly() {
    let corpus = Path::new(ROOT).join("crates/portolan-cli/tests/hostile");
    let dir = scratch_package("hostile", "");
    let mut deep = b"project: demo\nservices: ".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = [
        ("alias-bomb", "ports.yaml:8:29: error[yaml-syntax]"),
        ("non-utf8", "ports.yaml:5:4: error[invalid-utf8]"),
        ("port-2-pow-64", "ports.yaml:5:24: error[invalid-port]"),
        (
            "name-collide-as-identifiers",
            "ports.yaml:6:3: error[identifier-collision]",
        ),
        ("several-documents", "ports.yaml:4:1: error[yaml-syntax]"),
        // The parser's own words reach the build too, not only the code.
        (
            "unclosed-flow",
            "ports.yaml:2:15: error[yaml-syntax]: unclosed bracket '['",
        ),
        ("empty", "ports.yaml:1:1: error[missing-key]"),
    ]
    .into_iter()
    .map(|(name, expected)| {
        let bytes = std::fs::read(corpus.join(format!("{name}.yaml"))).unwrap();
        (name, bytes, Some(expected))
    })
    .chain([
        ("deep-flow-nesting", deep, Some("error[yaml-syntax]")),
        (
            "name-rust-keywords",
            std::fs::read(corpus.join("name-rust-keywords.yaml")).unwrap(),
            None,
        ),
    ])
    .collect();
    for (name, bytes, expected) in cases {
        std::fs::write(dir.join("ports.yaml"), &bytes).unwrap();
        let output = cargo_build(&dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{name}: panicked:\n{stderr}");
        match expected {
            Some(expected) => {
                assert!(!output.status.success(), "{name}: built:\n{stderr}");
                assert!(
                    stderr.contains(expected),
                    "{name}: no {expected:?} in:\n{stderr}"
                );
            }
            None => assert!(output.status.success(), "{name}: failed:\n{stderr}"),
        }
    }
}
