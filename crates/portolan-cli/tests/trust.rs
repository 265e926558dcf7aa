//! What a repository cannot make Portolan do (RELIABILITY.md, "Threat
//! model"): write outside it or through its temporary files, delete what
//! Portolan did not write, widen who may read a file, change a file's owner,
//! group or mode, or write part of a change.

use super::{portolan, stderr, stdout};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const REGISTRY: &str = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [env] }\nsync:\n  - file: app.yaml\n    values: { port: \"{{ port('web') }}\" }\n";

/// A repository holding [`REGISTRY`] and a team file with a secret.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ports.yaml"), REGISTRY).unwrap();
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, "db_password: hunter2\nport: 1\n").unwrap();
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o600)).unwrap();
    dir
}

/// Every entry under `dir` (links not followed): bytes, or what it is.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
            if kind.is_dir() {
                stack.push(entry.path());
                out.insert(rel, b"<dir>".to_vec());
            } else if kind.is_symlink() {
                let to = std::fs::read_link(entry.path()).unwrap();
                out.insert(rel, format!("-> {}", to.display()).into_bytes());
            } else {
                out.insert(rel, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

fn temps(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".portolan-tmp"))
        .collect()
}

/// Runs every `(directory, arguments)` at once; each must exit 0.
fn all_succeed(runs: impl Iterator<Item = (PathBuf, Vec<String>)>) {
    let children: Vec<_> = runs
        .map(|(dir, args)| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("portolan"))
                .args(args)
                .current_dir(dir)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
    }
}

fn is_root() -> bool {
    rustix_uid() == 0
}

fn rustix_uid() -> u32 {
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

/// Symlinks committed at the names of temporary files (the old
/// `.NAME.portolan-PID.tmp` scheme) or of the lock are never followed.
#[test]
fn symlinks_at_temporary_and_lock_names_are_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "untouched\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir = repo();
    let me = std::process::id();
    for pid in me.saturating_sub(50)..me + 500 {
        for name in ["app.yaml", "ports.yaml"] {
            let link = dir.path().join(format!(".{name}.portolan-{pid}.tmp"));
            std::os::unix::fs::symlink(&victim, link).unwrap();
        }
    }
    std::os::unix::fs::symlink(
        outside.path().join("created-by-lock"),
        dir.path().join(".ports.yaml.lock"),
    )
    .unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = portolan(dir.path())
        .args(["assign", "api2", "--sync"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");
    assert_eq!(std::fs::metadata(&victim).unwrap().mode() & 0o7777, 0o600);
    assert!(!outside.path().join("created-by-lock").exists());
    let app = std::fs::symlink_metadata(dir.path().join("app.yaml")).unwrap();
    assert!(app.is_file(), "the team file stays a regular file");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        "db_password: hunter2\nport: 8000\n"
    );
}

/// A temporary copy is never readable by more users than the file it
/// replaces, even when the run is killed before it is renamed; the next
/// writer sweeps it (sync's and assign's alike).
#[test]
fn temporary_copies_are_no_wider_than_their_file_and_are_swept() {
    let dir = repo();
    let out = portolan(dir.path())
        .arg("sync")
        .env("PORTOLAN_FAULT_ABORT_AFTER_RENAMES", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "killed: {}", stderr(&out));
    let left = temps(dir.path());
    let app_temp: Vec<&PathBuf> = left
        .iter()
        .filter(|p| p.to_string_lossy().starts_with(".app.yaml."))
        .collect();
    assert_eq!(app_temp.len(), 1, "{left:?}");
    let mode = std::fs::metadata(dir.path().join(app_temp[0]))
        .unwrap()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the copy of a 0600 file is 0600");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        "db_password: hunter2\nport: 1\n",
        "nothing was replaced"
    );
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(temps(dir.path()), Vec::<PathBuf>::new());

    let out = portolan(dir.path())
        .args(["assign", "other"])
        .env("PORTOLAN_FAULT_ABORT_AFTER_RENAMES", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "killed: {}", stderr(&out));
    assert_eq!(temps(dir.path()).len(), 1, "{:?}", temps(dir.path()));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ports.yaml")).unwrap(),
        REGISTRY
    );
    let out = portolan(dir.path())
        .args(["assign", "other"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        temps(dir.path()),
        Vec::<PathBuf>::new(),
        "assign sweeps too"
    );
}

/// The manifest is a record, not an authority.
#[test]
fn a_tampered_manifest_is_reported_and_nothing_is_deleted() {
    let dir = repo();
    assert_eq!(
        portolan(dir.path())
            .arg("sync")
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".git/config"), "[core]\n").unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "//! lib\n").unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
    let manifest = dir.path().join("generated/.portolan-manifest");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    for line in [
        "ports.yaml",
        "Cargo.toml",
        "src/lib.rs",
        ".git/config",
        "app.yaml",
    ] {
        text.push_str(&format!("file {line}\n"));
    }
    std::fs::write(&manifest, &text).unwrap();
    let before = snapshot(dir.path());

    let check = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    let sync = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(1), "{}", stdout(&sync));
    for out in [stdout(&check), stdout(&sync)] {
        for (path, why) in [
            ("ports.yaml", "which is the registry itself"),
            ("Cargo.toml", "which is not a file ports.yaml could produce"),
            ("src/lib.rs", "which is not a file ports.yaml could produce"),
            (".git/config", "which is inside .git/"),
        ] {
            let line = format!(
                "generated/.portolan-manifest: lists `{path}`, {why}: the manifest was edited"
            );
            assert!(out.contains(&line), "{line}\n{out}");
        }
    }
    assert!(stdout(&sync).ends_with("nothing was written\n"));
    assert_eq!(snapshot(dir.path()), before, "nothing deleted or written");
}

/// An output never replaces a file Portolan did not write.
#[test]
fn an_output_never_replaces_a_file_the_manifest_does_not_list() {
    let dir = repo();
    std::fs::create_dir(dir.path().join("generated")).unwrap();
    std::fs::write(dir.path().join("generated/dev.env"), "# ours\nTOKEN=x\n").unwrap();
    let before = snapshot(dir.path());
    for args in [&["check", "--format", "short"][..], &["sync"]] {
        let out = portolan(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("generated/dev.env: exists and was not written by Portolan (`generated/.portolan-manifest` does not list it)"),
            "{}",
            stdout(&out)
        );
    }
    assert_eq!(snapshot(dir.path()), before);
    std::fs::remove_file(dir.path().join("generated/dev.env")).unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(dir.path().join("generated/dev.env").exists());
}

/// Owner, group and mode survive a sync (as root, which can give a
/// file to anyone; elsewhere the test says so and fails on CI).
#[test]
fn owner_group_and_mode_are_kept() {
    if !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root; this test needs it"
        );
        eprintln!("skipped: changing a file's owner needs root");
        return;
    }
    let dir = repo();
    let app = dir.path().join("app.yaml");
    std::os::unix::fs::chown(&app, Some(65534), Some(4)).unwrap();
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let meta = std::fs::metadata(&app).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (65534, 4, 0o640)
    );
    assert_eq!(
        std::fs::read_to_string(&app).unwrap(),
        "db_password: hunter2\nport: 8000\n"
    );
}

/// Read-only and hard-linked files are refused unless a flag says otherwise.
#[test]
fn read_only_and_hard_linked_files_need_a_flag() {
    let dir = repo();
    let app = dir.path().join("app.yaml");
    std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = snapshot(dir.path());
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: app.yaml: is read-only (mode 0444); make it writable, or pass --replace-read-only to replace it keeping its mode; no file was changed\n"
    );
    assert_eq!(snapshot(dir.path()), before);
    let out = portolan(dir.path())
        .args(["sync", "--replace-read-only"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&app).unwrap().mode() & 0o7777, 0o444);
    assert_eq!(
        std::fs::read_to_string(&app).unwrap(),
        "db_password: hunter2\nport: 8000\n"
    );

    let dir = repo();
    let app = dir.path().join("app.yaml");
    let other = dir.path().join("elsewhere.yaml");
    std::fs::hard_link(&app, &other).unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: app.yaml: has 2 hard links;"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&app).unwrap(),
        "db_password: hunter2\nport: 1\n"
    );
    let out = portolan(dir.path())
        .args(["sync", "--break-hard-links"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&app).unwrap(),
        "db_password: hunter2\nport: 8000\n"
    );
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "db_password: hunter2\nport: 1\n"
    );
}

/// `assign` writes through a symlinked ports.yaml (inside the
/// repository), so the link stays a link and the real file changes.
#[test]
fn assign_writes_through_a_symlinked_registry() {
    let dir = repo();
    std::fs::create_dir(dir.path().join("deploy")).unwrap();
    std::fs::rename(
        dir.path().join("ports.yaml"),
        dir.path().join("deploy/ports.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("deploy/ports.yaml", dir.path().join("ports.yaml")).unwrap();
    let out = portolan(dir.path())
        .args(["assign", "billing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(dir.path().join("ports.yaml"))
            .unwrap()
            .is_symlink()
    );
    let real = std::fs::read_to_string(dir.path().join("deploy/ports.yaml")).unwrap();
    assert!(real.contains("billing"), "{real}");
}

/// `assign --sync` writes ports.yaml and the files together or not at all.
#[test]
fn assign_sync_with_a_broken_target_changes_nothing() {
    let dir = repo();
    std::fs::write(dir.path().join("app.yaml"), "port: [1, 2\n").unwrap();
    let before = snapshot(dir.path());
    let out = portolan(dir.path())
        .args(["assign", "billing", "--sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("nothing was written\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(snapshot(dir.path()), before, "ports.yaml unchanged too");
    let out = portolan(dir.path())
        .args(["release", "web", "--sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(snapshot(dir.path()), before);
    std::fs::write(dir.path().join("app.yaml"), "port: 1\n").unwrap();
    let out = portolan(dir.path())
        .args(["assign", "billing", "--sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "assigned billing.api: dev 8001\nupdated app.yaml\ncreated generated/.portolan-manifest\ncreated generated/dev.env\n"
    );
}

/// Concurrent syncs queue on the lock instead of failing.
#[test]
fn concurrent_syncs_all_succeed() {
    let dir = repo();
    all_succeed((0..6).map(|_| (dir.path().to_path_buf(), vec!["sync".to_owned()])));
    let check = portolan(dir.path()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

/// A name near the file system's limit syncs, and a refused sync
/// leaves no directory it created behind.
#[test]
fn long_names_sync_and_refusals_leave_no_directories() {
    let long = format!("{}.yaml", "a".repeat(250));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        REGISTRY.replace("file: app.yaml", &format!("file: {long}")),
    )
    .unwrap();
    std::fs::write(dir.path().join(&long), "port: 1\n").unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&long)).unwrap(),
        "port: 8000\n"
    );

    // generated/ is created first, then z.yaml is refused.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        REGISTRY.replace("file: app.yaml", "file: z.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("z.yaml"), "port: 1\n").unwrap();
    std::fs::set_permissions(
        dir.path().join("z.yaml"),
        std::fs::Permissions::from_mode(0o400),
    )
    .unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        !dir.path().join("generated").exists(),
        "no empty generated/ left"
    );
}

/// A sync that fails on a full disk leaves nothing behind, not even
/// the directories it created (a 64 KiB tmpfs, mounted as root, filled).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_changes_nothing() {
    let mount = tempfile::tempdir().unwrap();
    let mounted = is_root()
        && std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(mount.path())
            .status()
            .is_ok_and(|s| s.success());
    if !mounted {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and can mount a tmpfs; this test needs it"
        );
        eprintln!("skipped: mounting a small file system needs root");
        return;
    }
    let root = mount.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("ports.yaml"), REGISTRY).unwrap();
    std::fs::write(root.join("app.yaml"), "port: 1\n").unwrap();
    // Fill the file system to the last byte.
    let mut filler = std::fs::File::create(mount.path().join("filler")).unwrap();
    while std::io::Write::write_all(&mut filler, &[0u8; 512]).is_ok() {}
    drop(filler);
    let before = snapshot(&root);
    let out = portolan(&root).arg("sync").output().unwrap();
    let after = snapshot(&root);
    let _ = std::process::Command::new("umount")
        .arg(mount.path())
        .status();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("No space left on device"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).ends_with("; no file was changed\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        after, before,
        "no empty generated/ and no temporary file left"
    );
}

/// A manifest line cannot make a file Portolan's: a file is replaced or
/// removed only while it holds what the manifest says Portolan wrote, which
/// a pull request cannot know for an untracked file.
#[test]
fn a_manifest_line_does_not_make_an_untracked_file_portolans() {
    let dir = tempfile::tempdir().unwrap();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender:\n  artifacts: []\n  templates:\n    - template: t.j2\n      output: config/{environment}.yaml\n";
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    std::fs::write(dir.path().join("t.j2"), "env: {{ environment }}\n").unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::create_dir_all(dir.path().join("generated")).unwrap();
    // Local, untracked: one the template's pattern would name, one it renders.
    std::fs::write(
        dir.path().join("config/local.yaml"),
        "db_password: hunter2\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("config/dev.yaml"), "db_password: hunter3\n").unwrap();
    let forged = "0".repeat(64);
    std::fs::write(
        dir.path().join("generated/.portolan-manifest"),
        format!("file {forged} config/local.yaml\nfile {forged} config/dev.yaml\n"),
    )
    .unwrap();
    let before = snapshot(dir.path());
    for args in [&["sync", "--dry-run"][..], &["sync"]] {
        let out = portolan(dir.path()).args(args).output().unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            text.contains("config/dev.yaml: no longer holds what Portolan wrote there"),
            "{text}"
        );
        assert!(text.contains("config/local.yaml: is no longer produced by ports.yaml, but no longer holds what Portolan wrote there either"), "{text}");
        assert!(!text.contains("hunter"), "no contents shown: {text}");
    }
    assert_eq!(snapshot(dir.path()), before);
}

/// The manifest is written whole, so it may not be a symlink (to `.git/config`,
/// a hook, the registry) nor lie in `.git/`.
#[test]
fn the_manifest_is_never_written_through_a_symlink_or_into_git() {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join(".git/hooks")).unwrap();
    std::fs::write(dir.path().join(".git/config"), "[core]\n\ttoken = secret\n").unwrap();
    std::fs::create_dir(dir.path().join("generated")).unwrap();
    std::os::unix::fs::symlink(
        "../.git/config",
        dir.path().join("generated/.portolan-manifest"),
    )
    .unwrap();
    let before = snapshot(dir.path());
    for args in [&["sync", "--dry-run"][..], &["sync"], &["check"]] {
        let out = portolan(dir.path()).args(args).output().unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(
            text.contains("ports.yaml:6:9: `generated/.portolan-manifest` leads into .git/ through a symlink; Portolan never writes its manifest there"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }
    assert_eq!(snapshot(dir.path()), before);
    std::fs::remove_file(dir.path().join("generated/.portolan-manifest")).unwrap();
    std::os::unix::fs::symlink(
        "../ports.yaml",
        dir.path().join("generated/.portolan-manifest"),
    )
    .unwrap();
    let before = snapshot(dir.path());
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("`generated/.portolan-manifest` is a symlink, and Portolan writes the files it renders as regular files only"),
        "{}",
        stdout(&out)
    );
    assert_eq!(snapshot(dir.path()), before);

    let dir = repo();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let registry = REGISTRY.replace(
        "render: { artifacts: [env] }",
        "render: { dir: .git, artifacts: [] }\n",
    );
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("`.git/.portolan-manifest` is inside .git/"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join(".git")).unwrap().count(),
        0
    );
}

/// A registry that is a symlink out of its directory is refused before it is
/// read: findings quote its lines, and CI prints them.
#[test]
fn a_registry_that_leads_out_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let key = outside.path().join("id_ed25519");
    std::fs::write(
        &key,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&key, dir.path().join("ports.yaml")).unwrap();
    for args in [&["check"][..], &["sync"], &["assign", "x"], &["list"]] {
        let out = portolan(dir.path()).args(args).output().unwrap();
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(
            all.contains("through a symlink, outside its directory or into .git/"),
            "{all}"
        );
        assert!(!all.contains("b3BlbnNzaC1rZXk"), "{all}");
    }
}

/// Fuel bounds a template's steps but not what each costs, nor how deep an
/// expression nests: the command's processor time (here lowered to 3 s with
/// `prlimit`) and its stack bound both end in an `error:` line, not a hang
/// or an abort.
#[cfg(target_os = "linux")]
#[test]
fn costly_steps_and_deep_expressions_end_in_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender:\n  artifacts: []\n  templates:\n    - template: t.j2\n      output: out.txt\n";
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    let costly = format!(
        "{{% set s = 'xxxxxxxxxxxxxxxx' %}}{}{{% for i in range(100000) %}}{{% if s|length > 5 %}}{{% endif %}}{{% endfor %}}",
        "{% set s = s ~ s %}".repeat(24)
    );
    let deep = format!("{{{{ 1{} }}}}", "|abs".repeat(10_000));
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    for (template, message) in [
        (costly, "s of processor time, the most Portolan gives one"),
        (deep, "nests too deeply (its expression ran out of stack)"),
    ] {
        std::fs::write(dir.path().join("t.j2"), template).unwrap();
        let out = std::process::Command::new("prlimit")
            .arg("--cpu=3:30")
            .arg(&bin)
            .arg("check")
            .current_dir(dir.path())
            .output()
            .expect("prlimit (util-linux) runs the command");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
        assert!(
            !stderr(&out).contains("fatal runtime error"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!dir.path().join("out.txt").exists());
}

/// `check` runs in CI, where a pull request may point a template or a sync
/// entry at a file the CI job wrote (a secret): drift messages quote neither
/// a template's rendered lines nor a value unlike the one Portolan writes.
#[test]
fn drift_messages_do_not_quote_what_a_pull_request_points_at() {
    let dir = tempfile::tempdir().unwrap();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender:\n  artifacts: []\n  templates:\n    - template: ci-secrets.env\n      output: generated/x.txt\nsync:\n  - file: ci-secrets.yaml\n    values: { AWS_SECRET: \"{{ port('web') }}\" }\n";
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    std::fs::write(dir.path().join("ci-secrets.env"), "placeholder\n").unwrap();
    std::fs::write(dir.path().join("ci-secrets.yaml"), "AWS_SECRET: 1\n").unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // What the CI job writes before `check` runs.
    std::fs::write(
        dir.path().join("ci-secrets.env"),
        "AWS_SECRET=wJalrXUtnFEMI\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ci-secrets.yaml"),
        "AWS_SECRET: wJalrXUtnFEMI\n",
    )
    .unwrap();
    let out = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("generated/x.txt:1:1: stale: line 1 differs\n"),
        "{text}"
    );
    assert!(
        text.contains("ci-secrets.yaml:1:13: AWS_SECRET differs, ports.yaml says 8000\n"),
        "{text}"
    );
    assert!(!text.contains("wJalr"), "{text}");
}

/// A manifest cannot turn `check` into an oracle or a sweeper: a path listed
/// more than twice (a killed run lists old and new) is tampered, an orphan
/// reached through a symlinked directory is not removed, and `edit` lines
/// outside the registry's team files sweep nothing.
#[test]
fn manifest_lines_cannot_probe_alias_or_sweep() {
    let dir = tempfile::tempdir().unwrap();
    // `{service}/ports.json` also matches `alias/ports.json`.
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender:\n  artifacts: [ports.json]\n  templates:\n    - template: t.j2\n      output: \"{service}/ports.json\"\n";
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    std::fs::write(dir.path().join("t.j2"), "{{ port(service) }}\n").unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    std::fs::create_dir_all(dir.path().join("ci")).unwrap();
    std::fs::write(dir.path().join("ci/pin.txt"), "4821\n").unwrap();
    std::os::unix::fs::symlink("generated", dir.path().join("alias")).unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let planted = dir.path().join(".git/.HEAD.abcdefgh.portolan-tmp");
    std::fs::write(&planted, "git's").unwrap();
    let digest = |text: &str| portolan::manifest::digest(text.as_bytes());
    let manifest = dir.path().join("generated/.portolan-manifest");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    for guess in ["1234\n", "4821\n", "9999\n"] {
        text.push_str(&format!("file {} out/pin.txt\n", digest(guess)));
    }
    let ports_json = std::fs::read_to_string(dir.path().join("generated/ports.json")).unwrap();
    text.push_str(&format!("file {} alias/ports.json\n", digest(&ports_json)));
    text.push_str("edit .git/HEAD\n");
    std::fs::write(&manifest, text).unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::os::unix::fs::symlink("../ci/pin.txt", dir.path().join("out/pin.txt")).unwrap();
    let before = snapshot(dir.path());
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "generated/.portolan-manifest: lists `out/pin.txt` 3 times: the manifest was edited"
        ),
        "{text}"
    );
    assert!(
        text.contains("alias/ports.json: is reached through a symlink"),
        "{text}"
    );
    assert_eq!(snapshot(dir.path()), before);
    assert!(planted.exists());

    // Without the forged lines the sync runs, and still sweeps nothing in .git/.
    let kept: String = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("pin.txt") && !l.contains("alias/"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, kept).unwrap();
    let registry = std::fs::read_to_string(dir.path().join("ports.yaml")).unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        registry.replace("api: 8000", "api: 8001"),
    )
    .unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(planted.exists(), "an edit line in .git/ sweeps nothing");
}

/// Names and values from the repository cannot rewrite a terminal's or a CI
/// log's lines, nor hide an error behind the runtime's words.
#[test]
fn messages_escape_control_characters_and_cannot_be_hidden() {
    let dir = repo();
    let manifest = dir.path().join("generated/.portolan-manifest");
    assert_eq!(
        portolan(dir.path())
            .arg("sync")
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(&format!(
        "file {} generated/x\u{1b}]0;PWNED\u{7}.env\n",
        "0".repeat(64)
    ));
    std::fs::write(&manifest, text).unwrap();
    let out = portolan(dir.path()).arg("check").output().unwrap();
    assert!(!stdout(&out).contains('\u{1b}'), "{:?}", stdout(&out));
    assert!(stdout(&out).contains("\\u{1b}"), "{}", stdout(&out));

    let dir = repo();
    let name = "thread 'main' (1) has overflowed its stack.yaml";
    std::fs::write(
        dir.path().join("ports.yaml"),
        REGISTRY.replace("file: app.yaml", &format!("file: \"{name}\"")),
    )
    .unwrap();
    std::fs::write(dir.path().join(name), "port: 1\n").unwrap();
    std::fs::hard_link(dir.path().join(name), dir.path().join("other.yaml")).unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has 2 hard links"),
        "{}",
        stderr(&out)
    );
}

/// A FIFO given as the registry is refused, not waited on.
#[test]
fn a_fifo_registry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("ports.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = portolan(dir.path())
        .args(["check", "--file", "ports.yaml"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

/// One registry reached by two spellings (a symlinked ports.yaml and its
/// target) takes one lock: concurrent writers queue, none fails.
#[test]
fn two_spellings_of_a_registry_share_its_lock() {
    let dir = repo();
    std::fs::create_dir(dir.path().join("deploy")).unwrap();
    std::fs::write(
        dir.path().join("deploy/ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("ports.yaml")).unwrap();
    std::os::unix::fs::symlink("deploy/ports.yaml", dir.path().join("ports.yaml")).unwrap();
    all_succeed((0..6).map(|i| match i % 2 {
        0 => (
            dir.path().to_path_buf(),
            vec!["assign".to_owned(), format!("a{i}")],
        ),
        _ => (
            dir.path().join("deploy"),
            vec!["assign".to_owned(), format!("b{i}")],
        ),
    }));
    let text = std::fs::read_to_string(dir.path().join("deploy/ports.yaml")).unwrap();
    for name in ["a0", "b1", "a2", "b3", "a4", "b5"] {
        assert!(text.contains(&format!("  {name}:")), "{text}");
    }
}
