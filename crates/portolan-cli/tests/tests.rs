//! The `portolan` binary as users run it, built as one test binary.

mod adopt;
mod check;
mod faults;
mod formats;
mod hostile;
mod import;
mod registry;
mod sync;
mod trust;

// Helpers the modules share.

use assert_cmd::Command;
use std::path::Path;

/// The repository root, for copies of its registries.
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `portolan` run in `dir`, without colour.
fn portolan(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("portolan").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Copies the directory tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs a Python script in `dir` with the interpreter CI prepares
/// (`PORTOLAN_PYTHON`, a virtualenv with PyYAML and python-dotenv); without
/// it, with `python3` when that has the modules the script imports, and not
/// at all otherwise. Panics with Python's error when the script fails.
fn python(dir: &Path, script: &str) {
    let strict = std::env::var_os("PORTOLAN_PYTHON");
    let python = strict.clone().unwrap_or_else(|| "python3".into());
    let out = match std::process::Command::new(&python)
        .current_dir(dir)
        .args(["-c", script])
        .output()
    {
        Ok(out) => out,
        Err(e) if strict.is_none() => {
            eprintln!("python3 not run ({e})");
            return;
        }
        Err(e) => panic!("{}: {e}", python.to_string_lossy()),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    if strict.is_none() && err.contains("ModuleNotFoundError") {
        eprintln!("python3 lacks a module; CI runs this with PORTOLAN_PYTHON: {err}");
        return;
    }
    assert!(out.status.success(), "{err}");
}
