//! Generated code compiles warning-free under `#![deny(warnings, missing_docs)]`
//! and clippy, for every valid fixture and both example registries: a registry
//! that validates never produces a rustc error inside generated code.

use portolan::{Source, check, codegen};
use std::path::{Path, PathBuf};
use std::process::Command;

fn registries() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/valid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.push(root.join("../../ports.yaml"));
    paths.push(root.join("../../examples/rerp/ports.yaml"));
    paths.sort();
    paths
}

/// Writes each registry's generated code as a library crate under `dir`, with
/// a consumer that touches its API.
fn crates(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    registries()
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let report = check(&Source::read(&path).unwrap());
            let registry = report.valid_registry().unwrap_or_else(|| panic!("{}: {:?}", path.display(), report.diagnostics));
            let code = codegen::source(registry).unwrap();
            let file = dir.join(format!("generated_{i}.rs"));
            let text = format!(
                "//! Generated from {}.\n#![deny(warnings, missing_docs)]\n{code}\n\
                 /// Uses the API so the test sees it type-check.\n\
                 pub fn touch() -> usize {{\n    \
                     let all = Environment::ALL;\n    \
                     let first: Environment = all[0].name().parse().unwrap();\n    \
                     assert!(first.bindings().all(|b| b.port.localhost_addr().port() > 0));\n    \
                     assert!(BINDINGS.iter().all(|b| b.bind_addr().port() == b.port.get() && b.protocol.name().len() == 3 || b.protocol.tcp() && b.protocol.udp()));\n    \
                     assert!(BINDINGS.iter().filter_map(|b| b.range).all(|r| r.contains(r.start()) && r.contains(r.end()) && r.iter().count() == r.len() && !r.is_empty()));\n    \
                     BINDINGS.iter().filter(|b| b.container_port.get() > 0).count() + PROJECT.len()\n\
                 }}\n",
                path.display()
            );
            std::fs::write(&file, text).unwrap();
            (path, file)
        })
        .collect()
}

fn run(tool: &str, args: &[&str], file: &Path, registry: &Path) {
    let out_dir = file.with_extension("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let output = Command::new(tool)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
            "--out-dir",
        ])
        .arg(&out_dir)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    assert!(
        output.status.success(),
        "{tool} rejects the code generated from {}:\n{}",
        registry.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn generated_code_compiles_without_warnings() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    for (registry, file) in crates(&scratch("rustc")) {
        run(&rustc, &[], &file, &registry);
    }
}

#[test]
fn generated_code_is_clippy_clean() {
    for (registry, file) in crates(&scratch("clippy")) {
        run(
            "clippy-driver",
            &["-D", "warnings", "-W", "clippy::all"],
            &file,
            &registry,
        );
    }
}
