//! The README's walkthrough ("Use Portolan in your repository"), command by
//! command, in a fresh repository outside this workspace: install the CLI,
//! `init`, the first check, a Rust service that imports its ports, `assign`,
//! and the CI check.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This repository, as a newcomer's clone of it.
const CLONE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn shown(out: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `program args` in `dir`; it must succeed. Returns its stdout.
#[track_caller]
fn ok(dir: &Path, program: &Path, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{} {args:?}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}:\n{}",
        program.display(),
        shown(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cargo() -> PathBuf {
    PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds shared by the runs of this test, so a rerun compiles little.
fn target(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn the_readme_walkthrough_works_in_a_fresh_repository() {
    let clone = Path::new(CLONE).canonicalize().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let repo = repo.path();
    assert!(!repo.starts_with(&clone), "outside the workspace");

    // 1. Install the CLI from a clone (debug and offline here, for speed).
    let root = tempfile::tempdir().unwrap();
    let install = Command::new(cargo())
        .args(["install", "--locked", "--offline", "--debug", "--path"])
        .arg(clone.join("crates/portolan-cli"))
        .arg("--root")
        .arg(root.path())
        .env("CARGO_TARGET_DIR", target("install"))
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "cargo install: {}",
        shown(&install)
    );
    let portolan = root.path().join("bin/portolan");

    // 2. `portolan init --crate`: ports.yaml, generated/ and the `ports` crate.
    let clone_arg = clone.display().to_string();
    let init = ok(
        repo,
        &portolan,
        &[
            "init",
            "--project",
            "acme",
            "--crate",
            "ports",
            "--portolan-path",
            &clone_arg,
        ],
    );
    assert!(
        init.starts_with("created ports.yaml\ncreated ports/Cargo.toml\n"),
        "{init}"
    );
    assert!(init.contains("next:\n  portolan check"), "{init}");

    // 3. The first check is green.
    assert_eq!(
        ok(repo, &portolan, &["check"]),
        "ports.yaml: ok\n6 files up to date\n"
    );

    // 4. A Rust service imports its ports.
    let web = repo.join("services/web");
    std::fs::create_dir_all(web.join("src")).unwrap();
    std::fs::write(
        web.join("Cargo.toml"),
        "[package]\nname = \"web\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\nports = { path = \"../../ports\" }\n",
    )
    .unwrap();
    std::fs::write(
        web.join("src/main.rs"),
        "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    let env = ports::Environment::from_env()?;\n    println!(\"{}\", ports::web::api(env).unspecified_addr());\n    Ok(())\n}\n",
    )
    .unwrap();
    let run = |dir: &Path, env: Option<&str>| {
        let mut cmd = Command::new(cargo());
        cmd.args(["run", "--quiet", "--offline"])
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target("adopt"))
            .env_remove("RUSTFLAGS")
            .env_remove("ACME_ENV");
        if let Some(env) = env {
            cmd.env("ACME_ENV", env);
        }
        cmd.output().unwrap()
    };
    let out = run(&web, Some("development"));
    assert!(out.status.success(), "{}", shown(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0.0.0.0:8000\n");
    // An unset variable is a readable error from `main`.
    let out = run(&web, None);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().last(),
        Some("Error: ACME_ENV is not set; expected one of: development")
    );

    // 5. A new service gets a free port, and the files follow.
    let assigned = ok(repo, &portolan, &["assign", "billing", "--sync"]);
    assert!(
        assigned.starts_with("assigned billing.api: development 8001\n"),
        "{assigned}"
    );
    assert_eq!(
        ok(repo, &portolan, &["check"]),
        "ports.yaml: ok\n6 files up to date\n"
    );
    std::fs::write(
        web.join("src/main.rs"),
        "fn main() {\n    println!(\"{}\", ports::development::BILLING_API);\n}\n",
    )
    .unwrap();
    let out = run(&web, None);
    assert!(out.status.success(), "{}", shown(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "8001\n");

    // `cargo build` names the registry by a path that works from anywhere.
    let registry = std::fs::read_to_string(repo.join("ports.yaml")).unwrap();
    std::fs::write(
        repo.join("ports.yaml"),
        registry.replace("development: 8001", "development: 8000"),
    )
    .unwrap();
    let out = run(&web, None);
    let real = repo.canonicalize().unwrap().join("ports.yaml");
    let line = 1 + registry
        .lines()
        .position(|l| l.contains("development: 8001"))
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("error: ports@0.1.0: {}:{line}:", real.display()))
            && stderr.contains("error[port-conflict]"),
        "{}",
        shown(&out)
    );
    std::fs::write(repo.join("ports.yaml"), registry).unwrap();

    // 6. CI: the same check, which fails on drift.
    std::fs::write(repo.join("generated/development.env"), "stale\n").unwrap();
    let out = Command::new(&portolan)
        .arg("check")
        .current_dir(repo)
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
}

/// The repository's pre-commit hooks, run by pre-commit itself
/// (`PORTOLAN_PRE_COMMIT`, installed by CI from PyPI) with `try-repo`: the
/// check hook fails on a stale file and passes once it is synced.
#[test]
fn the_pre_commit_hooks_run_in_pre_commit() {
    let Ok(pre_commit) = std::env::var("PORTOLAN_PRE_COMMIT") else {
        eprintln!("skipped: PORTOLAN_PRE_COMMIT is not set (CI installs pre-commit)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .current_dir(root)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", root.join(".pre-commit-home"))
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run("git", &["init", "-q"]).status.success());
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [ports.json] }\n",
    )
    .unwrap();
    assert!(run("git", &["add", "ports.yaml"]).status.success());
    let repo = std::path::Path::new(crate::REPO).canonicalize().unwrap();
    let repo = repo.to_str().unwrap();
    let hook = |id: &str| run(&pre_commit, &["try-repo", repo, id, "--all-files"]);
    let stale = hook("portolan-check");
    let text = String::from_utf8_lossy(&stale.stdout).into_owned();
    assert!(!stale.status.success(), "{text}");
    assert!(text.contains("generated/ports.json: missing"), "{text}");
    let synced = hook("portolan-sync");
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stdout)
    );
    assert!(root.join("generated/ports.json").exists());
    let clean = hook("portolan-check");
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}
