//! Faults: `portolan sync` killed at random moments leaves every file whole
//! (its old or its new bytes), and `assign` racing `release` loses nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("portolan")
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Every regular file under `dir` but ports.yaml, its lock and Portolan's
/// temporary files, which are counted apart.
fn files(dir: &Path) -> (BTreeMap<PathBuf, Vec<u8>>, usize) {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>, temps: &mut usize) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out, temps);
            } else if name.ends_with(".tmp") && name.contains(".portolan-") {
                *temps += 1;
            } else if name != "ports.yaml" && name != ".ports.yaml.lock" {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let (mut out, mut temps) = (BTreeMap::new(), 0);
    walk(dir, dir, &mut out, &mut temps);
    (out, temps)
}

const SERVICES: usize = 60;

/// A registry of [`SERVICES`] services from `base`, each with a team file,
/// a rendered template, and every artifact.
fn registry(base: u16) -> String {
    let mut s = String::from(
        "project: demo\nenvironments:\n  dev: { range: 8000-8999 }\n  prod: { range: 9000-9999 }\nservices:\n",
    );
    for i in 0..SERVICES as u16 {
        s.push_str(&format!(
            "  s{i}: {{ ports: {{ api: {{ dev: {}, prod: {} }} }} }}\n",
            base + i,
            base + 1000 + i
        ));
    }
    s.push_str(
        "render:\n  templates:\n    - template: t.j2\n      output: rendered/{service}.{environment}.txt\n\
         sync:\n  - file: team/{service}/{environment}.yaml\n    values:\n      server.port: \"{{ port(service) }}\"\n",
    );
    s
}

/// A directory synced to `registry(base)`.
fn synced(base: u16) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.j2"), "{{ service }}: {{ port(service) }}\n{% for i in range(2000) %}padding line {{ i }}\n{% endfor %}").unwrap();
    std::fs::write(dir.path().join("ports.yaml"), registry(base)).unwrap();
    let out = run(dir.path(), &["sync"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    dir
}

/// SIGKILLs `portolan sync` at pseudo-random moments while it moves a
/// directory between two registries; after each kill every file is its old or
/// its new content, and a full sync afterwards completes.
#[test]
fn a_killed_sync_leaves_every_file_old_or_new() {
    let (a, b) = (synced(8000), synced(8200));
    let (state_a, _) = files(a.path());
    let (state_b, _) = files(b.path());
    assert_ne!(state_a, state_b);
    let dir = synced(8000);
    // The time a whole sync takes bounds the delays.
    let start = Instant::now();
    std::fs::write(dir.path().join("ports.yaml"), registry(8200)).unwrap();
    assert_eq!(run(dir.path(), &["sync"]).status.code(), Some(0));
    let full = start.elapsed();
    std::fs::write(dir.path().join("ports.yaml"), registry(8000)).unwrap();
    assert_eq!(run(dir.path(), &["sync"]).status.code(), Some(0));

    let kills: u64 = std::env::var("PORTOLAN_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(12);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let (mut killed, mut mixed_runs) = (0, 0);
    for round in 0..kills {
        let to_b = round % 2 == 0;
        let (old, new) = if to_b {
            (&state_a, &state_b)
        } else {
            (&state_b, &state_a)
        };
        std::fs::write(
            dir.path().join("ports.yaml"),
            registry(if to_b { 8200 } else { 8000 }),
        )
        .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Most of a sync is planning; aim the kills at the second half, where
        // files are staged and renamed.
        let span = full.as_micros() as u64 + 1;
        let delay = Duration::from_micros(span * 3 / 10 + seed % span);
        let mut child = Command::new(bin())
            .arg("sync")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let (now, _) = files(dir.path());
        let (mut olds, mut news) = (0, 0);
        for (path, bytes) in &now {
            if old.get(path) == Some(bytes) {
                olds += 1;
            } else if new.get(path) == Some(bytes) {
                news += 1;
            } else {
                panic!(
                    "round {round}, killed after {delay:?}: {} is neither its old nor its new content ({} bytes)",
                    path.display(),
                    bytes.len()
                );
            }
        }
        if olds > 0 && news > 0 {
            mixed_runs += 1;
        }
        // The next sync finishes the job.
        let out = run(dir.path(), &["sync"]);
        assert_eq!(out.status.code(), Some(0), "round {round}");
        assert_eq!(
            &files(dir.path()).0,
            new,
            "round {round}: a full sync after a kill"
        );
    }
    let (_, leftover_temps) = files(dir.path());
    eprintln!(
        "{kills} rounds, {killed} killed mid-sync ({mixed_runs} between files), {} files each, {leftover_temps} temporary files left by kills; a full sync takes {full:?}",
        state_a.len()
    );
    assert!(killed > 0, "no sync was killed while running");
}

#[test]
fn assign_racing_release_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry =
        String::from("project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n");
    for i in 0..8 {
        registry.push_str(&format!("  old{i}: {{ ports: {{ api: {} }} }}\n", 8000 + i));
    }
    std::fs::write(dir.path().join("ports.yaml"), &registry).unwrap();
    let children: Vec<_> = (0..8)
        .flat_map(|i| {
            [
                vec!["assign".to_owned(), format!("new{i}")],
                vec!["release".to_owned(), format!("old{i}")],
            ]
        })
        .map(|args| {
            Command::new(bin())
                .args(&args)
                .current_dir(dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let check = run(dir.path(), &["check", "--format", "short"]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.starts_with("ports.yaml: ok\n"), "{text}");
    let list = run(dir.path(), &["list", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    let mut services: Vec<&str> = rows
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    services.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("new{i}")).collect();
    assert_eq!(services, expected, "every assign kept, every release done");
    let mut ports: Vec<u64> = rows.iter().map(|r| r["port"].as_u64().unwrap()).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 8, "distinct ports: {rows:?}");
    assert!(ports.iter().all(|p| (8000..=8099).contains(p)));
}
