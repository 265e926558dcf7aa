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
