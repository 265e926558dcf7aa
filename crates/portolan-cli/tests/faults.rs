//! Faults: a sync stopped after any one of its replacements, or killed at a
//! random moment, leaves every file its old or its new bytes, and the next
//! sync finishes the job; random interleavings of concurrent syncs, assigns,
//! releases and kills keep the registry valid, every file whole and every
//! write inside the registry's directory; `assign` racing `release` loses
//! nothing.
// Kills, and the lock every writer takes on the registry's directory, are Unix's.
#![cfg(unix)]

use super::copy_tree;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Makes a transaction abort the process right after its Nth replacement.
const FAULT: &str = "PORTOLAN_FAULT_ABORT_AFTER_RENAMES";
/// What Portolan's temporary files end with.
const TEMP_SUFFIX: &str = ".portolan-tmp";
/// The longest a run may wait for, or hold, the lock once nothing else runs.
const PATIENCE: Duration = Duration::from_secs(30);
/// Padding lines in rendered files: a transaction writes enough to be
/// caught halfway by a kill.
const PADDING: usize = 1000;

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portolan"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove(FAULT);
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

fn shown(out: &Output) -> String {
    format!(
        "{}\nstdout:\n{}stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs portolan; `None` when it has not finished within [`PATIENCE`] (it
/// is killed then).
fn run_within(dir: &Path, args: &[&str]) -> Option<Output> {
    let mut child = command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Some(child.wait_with_output().unwrap())
}

/// Waits until no process holds the registry's lock, so that what follows
/// reads a directory no writer is changing (a killed run's worker may
/// outlive it by a moment); false when it is still held after [`PATIENCE`].
fn lock_freed(dir: &Path) -> bool {
    let file = File::open(dir).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match file.try_lock() {
            Ok(()) => return true,
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(fs::TryLockError::WouldBlock) => return false,
            Err(fs::TryLockError::Error(e)) => panic!("cannot lock {}: {e}", dir.display()),
        }
    }
}

type Files = BTreeMap<PathBuf, Vec<u8>>;

/// What a directory holds: every file's bytes by relative path, and
/// Portolan's temporary files apart.
#[derive(Debug, Default)]
struct Tree {
    files: Files,
    temps: Vec<PathBuf>,
}

fn tree(dir: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else if entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
                out.temps.push(rel);
            } else {
                out.files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = Tree::default();
    walk(dir, dir, &mut out);
    out
}

fn describe(file: Option<&Vec<u8>>) -> String {
    match file {
        None => "absent".to_owned(),
        Some(bytes) => format!("{} bytes", bytes.len()),
    }
}

/// Every path where `now` is not `want`, a file missing from either counting.
fn differences(want: &Files, now: &Files) -> Vec<String> {
    let paths: BTreeSet<&PathBuf> = want.keys().chain(now.keys()).collect();
    paths
        .into_iter()
        .filter(|p| want.get(*p) != now.get(*p))
        .map(|p| {
            format!(
                "{} is {}, wanted {}",
                p.display(),
                describe(now.get(p)),
                describe(want.get(p))
            )
        })
        .collect()
}

/// How many of the files that differ between `old` and `new` are each now;
/// an error names a file that is neither. Every path of either map is
/// looked at, so a file removed or created too early or too late counts.
fn tally(old: &Files, new: &Files, now: &Files) -> Result<(usize, usize), String> {
    let paths: BTreeSet<&PathBuf> = old.keys().chain(new.keys()).chain(now.keys()).collect();
    let (mut olds, mut news) = (0, 0);
    for path in paths {
        let (o, n, w) = (old.get(path), new.get(path), now.get(path));
        if w == o && o == n {
            continue;
        } else if w == o || is_manifest_union(path, o, n, w) {
            olds += 1;
        } else if w == n {
            news += 1;
        } else {
            return Err(format!(
                "{} is {}, neither its old ({}) nor its new ({}) content",
                path.display(),
                describe(w),
                describe(o),
                describe(n)
            ));
        }
    }
    Ok((olds, news))
}

/// Whether `now` is the manifest a sync writes before its first other
/// replacement: every `file` line of the old and the new manifest, so a run
/// stopped midway still records what each file held. It still describes the
/// old files, so it counts as old.
fn is_manifest_union(
    path: &Path,
    old: Option<&Vec<u8>>,
    new: Option<&Vec<u8>>,
    now: Option<&Vec<u8>>,
) -> bool {
    let (Some(old), Some(new), Some(now)) = (old, new, now) else {
        return false;
    };
    if !path.ends_with(".portolan-manifest") {
        return false;
    }
    let files = |bytes: &Vec<u8>| -> BTreeSet<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .filter(|l| l.starts_with("file "))
            .map(str::to_owned)
            .collect()
    };
    let union: BTreeSet<String> = files(old).union(&files(new)).cloned().collect();
    files(now) == union
}

/// A fixed-seed generator (xorshift64): every run makes the same choices.
struct Rng(u64);

impl Rng {
    /// `PORTOLAN_FAULT_SEED`, or `default`.
    fn seed(default: u64) -> u64 {
        count_from_env("PORTOLAN_FAULT_SEED", default).max(1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

fn count_from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(default)
}

fn template(name: &str) -> String {
    format!(
        "{name} {{{{ service }}}} {{{{ environment }}}}: {{{{ port(service) }}}}\n{{% for i in range({PADDING}) %}}padding line {{{{ i }}}}\n{{% endfor %}}"
    )
}

/// What [`template`] renders.
fn rendered(name: &str, service: &str, environment: &str, port: u64) -> String {
    let mut s = format!("{name} {service} {environment}: {port}\n");
    for i in 0..PADDING {
        s.push_str(&format!("padding line {i}\n"));
    }
    s
}

/// Services `s{first}` to `s{first + 3}`, their ports moved by `shift`,
/// each rendered twice and with a team file. Outputs land on both sides of
/// the manifest (`app/` sorts before `generated/`, `rendered/` and `team/`
/// after), so the stopping points catch each order.
fn moving_registry(first: u16, shift: u16) -> String {
    let mut s =
        String::from("project: demo\nenvironments:\n  dev: { range: 8000-8999 }\nservices:\n");
    for i in first..first + 4 {
        s.push_str(&format!(
            "  s{i}: {{ ports: {{ api: {} }} }}\n",
            8000 + shift + i
        ));
    }
    s.push_str(
        "render:\n  artifacts: [env]\n  templates:\n    - template: app.j2\n      output: app/{service}.{environment}.txt\n\
         \x20   - template: rendered.j2\n      output: rendered/{service}.{environment}.txt\n\
         sync:\n  - file: team/{service}/{environment}.yaml\n    create: team.template.yaml\n    values:\n      server.port: \"{{ port(service) }}\"\n",
    );
    s
}

/// A sync from one registry to the next: `dir` is synced to the first and
/// holds the second, `old` is what it holds, `new` what a sync makes of it.
/// The second drops two services, adds two and moves every port, so the
/// sync creates, replaces and removes files.
struct Move {
    dir: tempfile::TempDir,
    registry: String,
    old: Files,
    new: Files,
    /// The files that differ: the replacements a sync makes.
    total: usize,
}

fn moving() -> Move {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.j2"), template("app")).unwrap();
    fs::write(dir.path().join("rendered.j2"), template("rendered")).unwrap();
    fs::write(dir.path().join("ports.yaml"), moving_registry(0, 0)).unwrap();
    fs::write(
        dir.path().join("team.template.yaml"),
        "server:\n  port: 0\n",
    )
    .unwrap();
    let out = run(dir.path(), &["sync"]);
    assert!(out.status.success(), "{}", shown(&out));
    let registry = moving_registry(2, 10);
    fs::write(dir.path().join("ports.yaml"), &registry).unwrap();
    let old = tree(dir.path()).files;
    let dry = run(dir.path(), &["sync", "--dry-run"]);
    let done = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), done.path());
    let out = run(done.path(), &["sync"]);
    assert!(
        out.status.success(),
        "a sync from the first registry to the second: {}",
        shown(&out)
    );
    let new = tree(done.path()).files;
    let total = tally(&old, &new, &old).unwrap().0;
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains(&format!("would change {total} files;")),
        "the dry run disagrees on the count of changes ({total}): {}",
        shown(&dry)
    );
    let removed = old.keys().filter(|p| !new.contains_key(*p)).count();
    let created = new.keys().filter(|p| !old.contains_key(*p)).count();
    assert!(
        removed > 0 && created > 0,
        "{removed} removed, {created} created"
    );
    Move {
        dir,
        registry,
        old,
        new,
        total,
    }
}

impl Move {
    /// A fresh copy of the directory before the sync.
    fn copy(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(self.dir.path(), dir.path());
        dir
    }

    /// What is wrong after a stopped sync, then after a full sync:
    /// `counts` are the old and new files there must be, if known.
    fn after_stop(&self, dir: &Path, counts: Option<(usize, usize)>, problems: &mut Vec<String>) {
        let now = tree(dir);
        match tally(&self.old, &self.new, &now.files) {
            Err(e) => problems.push(e),
            Ok(found) => {
                if let Some(want) = counts
                    && found != want
                {
                    problems.push(format!(
                        "{} old and {} new files, wanted {} and {}",
                        found.0, found.1, want.0, want.1
                    ));
                }
            }
        }
        if now.files.get(Path::new("ports.yaml")) != Some(&self.registry.clone().into_bytes()) {
            problems.push("ports.yaml changed".to_owned());
        }
        // The next writer sweeps what a stopped one staged, and finishes.
        let out = run(dir, &["sync"]);
        if !out.status.success() {
            problems.push(format!("the next sync failed: {}", shown(&out)));
        }
        let after = tree(dir);
        for d in differences(&self.new, &after.files) {
            problems.push(format!("after the next sync, {d}"));
        }
        if !after.temps.is_empty() {
            problems.push(format!(
                "after the next sync, temporary files are left: {:?}",
                after.temps
            ));
        }
    }
}

/// Stops `portolan sync` right after each of its replacements in turn (0:
/// after staging, before any): the files it replaced are exactly the first
/// ones, each whole, the rest untouched, and the next sync finishes the job.
#[test]
fn a_sync_stopped_after_any_replacement_leaves_every_file_old_or_new() {
    let m = moving();
    let mut failures = Vec::new();
    let mut staged = 0;
    for n in 0..=m.total {
        let dir = m.copy();
        let out = command(dir.path(), &["sync"])
            .env(FAULT, n.to_string())
            .output()
            .unwrap();
        let mut problems = Vec::new();
        // The stopping point after the last replacement is never reached.
        if out.status.success() != (n == m.total) {
            problems.push(format!("the sync stopped at {n} ended: {}", shown(&out)));
        }
        if !lock_freed(dir.path()) {
            problems.push("the lock is still held".to_owned());
        }
        let temps = tree(dir.path()).temps.len();
        staged += temps;
        // Everything is staged before the first replacement, but the
        // manifest, which is replaced in a step of its own, last.
        if temps < (m.total - n).saturating_sub(1) {
            problems.push(format!(
                "{temps} temporary files for {} files not yet replaced",
                m.total - n
            ));
        }
        m.after_stop(dir.path(), Some((m.total - n, n)), &mut problems);
        failures.extend(
            problems
                .into_iter()
                .map(|p| format!("stopped after {n}: {p}")),
        );
    }
    eprintln!(
        "{} stopping points, {} files in the directory, {} replaced by a sync; {staged} temporary files left by the stopped syncs",
        m.total + 1,
        m.old.len(),
        m.total
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// SIGKILLs `portolan sync` at pseudo-random moments; after each kill every
/// file is its old or its new content, and the next sync finishes the job.
#[test]
fn a_sync_killed_at_random_leaves_every_file_old_or_new() {
    let m = moving();
    // The time a whole sync takes bounds the delays.
    let dir = m.copy();
    let start = Instant::now();
    assert!(run(dir.path(), &["sync"]).status.success());
    let full = start.elapsed();

    let rounds = count_from_env("PORTOLAN_KILLS", 12);
    let mut rng = Rng(Rng::seed(0x9E37_79B9_7F4A_7C15));
    let (mut killed, mut mixed) = (0, 0);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let dir = m.copy();
        // Most of a sync is starting and planning: aim past the start.
        let span = full.as_micros() as u64 + 1;
        let delay = Duration::from_micros(span * 3 / 10 + rng.below(span));
        let mut child = command(dir.path(), &["sync"])
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
        let mut problems = Vec::new();
        if !lock_freed(dir.path()) {
            problems.push("the lock is still held".to_owned());
        }
        if let Ok((olds, news)) = tally(&m.old, &m.new, &tree(dir.path()).files)
            && olds > 0
            && news > 0
        {
            mixed += 1;
        }
        m.after_stop(dir.path(), None, &mut problems);
        failures.extend(
            problems
                .into_iter()
                .map(|p| format!("round {round}, killed after {delay:?}: {p}")),
        );
    }
    eprintln!(
        "{rounds} rounds, {killed} killed mid-sync ({mixed} between files), {} files replaced by a sync; a full sync takes {full:?}",
        m.total
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(killed > 0, "no sync was killed while running");
}

/// Services the interleavings assign and release; the first [`START`] exist
/// at the start, with team files the team wrote.
const POOL: [&str; 8] = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"];
const START: usize = 4;
const ENVIRONMENTS: [&str; 2] = ["dev", "prod"];
/// A team file before Portolan first syncs it: Portolan owns `server.port` only.
const TEAM_FILE: &str =
    "# The team's file.\nlogging:\n  level: info\nserver:\n  host: 0.0.0.0\n  port: 1\n";

fn interleaving_registry() -> String {
    let mut s = String::from(
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n  prod: { range: 9000-9099 }\nservices:\n",
    );
    for (i, service) in POOL[..START].iter().enumerate() {
        s.push_str(&format!(
            "  {service}: {{ ports: {{ api: {{ dev: {}, prod: {} }} }} }}\n",
            8000 + i,
            9000 + i
        ));
    }
    s.push_str(
        "render:\n  templates:\n    - template: t.j2\n      output: rendered/{service}.{environment}.txt\n\
         sync:\n  - file: team/{service}/{environment}.yaml\n    create: team.template.yaml\n    values:\n      server.port: \"{{ port(service) }}\"\n",
    );
    s
}

/// Each service's port by environment, as `portolan list` reads them.
type Ports = BTreeMap<String, BTreeMap<String, u64>>;

fn ports(dir: &Path) -> Ports {
    let out = run(dir, &["list", "--format", "json"]);
    assert!(out.status.success(), "{}", shown(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut ports = Ports::new();
    for row in rows {
        ports
            .entry(row["service"].as_str().unwrap().to_owned())
            .or_default()
            .insert(
                row["environment"].as_str().unwrap().to_owned(),
                row["port"].as_u64().unwrap(),
            );
    }
    ports
}

/// Every port each service has had, by environment.
type History = BTreeMap<String, BTreeMap<String, BTreeSet<u64>>>;

fn record(history: &mut History, ports: &Ports) {
    for (service, by_env) in ports {
        for (environment, port) in by_env {
            history
                .entry(service.clone())
                .or_default()
                .entry(environment.clone())
                .or_default()
                .insert(*port);
        }
    }
}

/// Every entry below `parent` but `skip`, with what a write would change.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    dir: bool,
    mode: u32,
    ino: u64,
    modified: SystemTime,
    bytes: Vec<u8>,
}

fn outside(parent: &Path, skip: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(path: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        if path == skip {
            return;
        }
        let meta = fs::symlink_metadata(path).unwrap();
        out.insert(
            path.to_path_buf(),
            Entry {
                dir: meta.is_dir(),
                mode: meta.mode(),
                ino: meta.ino(),
                modified: meta.modified().unwrap(),
                bytes: if meta.is_file() {
                    fs::read(path).unwrap()
                } else {
                    Vec::new()
                },
            },
        );
        if meta.is_dir() {
            for entry in fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path(), skip, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(parent, skip, &mut out);
    out
}

#[derive(Clone, Debug)]
enum Op {
    Sync,
    Assign(&'static str),
    Release(&'static str),
}

impl Op {
    fn args(&self) -> Vec<&'static str> {
        match self {
            Op::Sync => vec!["sync"],
            Op::Assign(s) => vec!["assign", s, "--sync"],
            Op::Release(s) => vec!["release", s, "--sync"],
        }
    }
}

/// Whether `out` is a run the fault point stopped.
fn aborted(out: &Output) -> bool {
    out.status.signal() == Some(6) || String::from_utf8_lossy(&out.stderr).contains("SIGABRT")
}

/// What is wrong with the files of `dir` between runs: each must be whole,
/// and hold a port its service had at some point (`history`).
fn whole_files(dir: &Path, history: &History) -> Vec<String> {
    let mut problems = Vec::new();
    let known = |service: &str, environment: &str, port: u64| {
        history
            .get(service)
            .and_then(|h| h.get(environment))
            .is_some_and(|ports| ports.contains(&port))
    };
    for (path, bytes) in tree(dir).files {
        let name = path.to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parts: Vec<&str> = name.split('/').collect();
        let fine = match parts.as_slice() {
            ["ports.yaml"] => true,
            ["t.j2"] => text == template("rendered"),
            ["team.template.yaml"] => text == "server:\n  port: 0\n",
            ["generated", ".portolan-manifest" | "PORTS.md"] => !text.is_empty(),
            ["generated", file] if file.ends_with(".json") => {
                serde_json::from_str::<serde_json::Value>(&text).is_ok()
            }
            ["generated", file] if file.ends_with(".yaml") => {
                serde_saphyr::from_str::<serde_json::Value>(&text).is_ok()
            }
            ["generated", file] if file.ends_with(".env") => text.lines().all(|l| {
                l.is_empty()
                    || l.starts_with('#')
                    || l.split_once('=').is_some_and(|(k, _)| !k.is_empty())
            }),
            ["rendered", file] => file
                .strip_suffix(".txt")
                .and_then(|f| f.split_once('.'))
                .is_some_and(|(service, environment)| {
                    let port = text
                        .lines()
                        .next()
                        .and_then(|l| l.rsplit_once(": "))
                        .and_then(|(_, p)| p.parse().ok());
                    port.is_some_and(|p| {
                        known(service, environment, p)
                            && text == rendered("rendered", service, environment, p)
                    })
                }),
            ["team", service, file] => file.strip_suffix(".yaml").is_some_and(|environment| {
                let Ok(value) = serde_saphyr::from_str::<serde_json::Value>(&text) else {
                    return false;
                };
                let port = &value["server"]["port"];
                let port = port
                    .as_u64()
                    .or_else(|| port.as_str().and_then(|p| p.parse().ok()));
                // The team's own values outlive every sync.
                let kept = !POOL[..START].contains(service)
                    || (value["logging"]["level"] == "info"
                        && value["server"]["host"] == "0.0.0.0");
                kept && port.is_some_and(|p| known(service, environment, p))
            }),
            _ => false,
        };
        if !fine {
            problems.push(format!(
                "{name} is not a whole file of a registry this directory had ({} bytes)",
                bytes.len()
            ));
        }
    }
    problems
}

/// What is wrong with `dir` right after a sync: every service has exactly
/// its rendered files, with its ports, and its team files.
fn synced_files(dir: &Path, ports: &Ports) -> Vec<String> {
    let mut problems = Vec::new();
    let files = tree(dir).files;
    let mut want = BTreeSet::new();
    for (service, by_env) in ports {
        for (environment, port) in by_env {
            let path = PathBuf::from(format!("rendered/{service}.{environment}.txt"));
            if files
                .get(&path)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                != Some(rendered("rendered", service, environment, *port))
            {
                problems.push(format!("{} does not hold port {port}", path.display()));
            }
            want.insert(path);
            let team = PathBuf::from(format!("team/{service}/{environment}.yaml"));
            if !files.contains_key(&team) {
                problems.push(format!("{} is missing", team.display()));
            }
        }
    }
    for path in files.keys().filter(|p| p.starts_with("rendered")) {
        if !want.contains(path) {
            problems.push(format!(
                "{} is left, but its service is gone",
                path.display()
            ));
        }
    }
    problems
}

/// Random interleavings of concurrent `sync`, `assign NEW --sync`, `release
/// OLD --sync`, runs stopped by the fault point and SIGKILLs, against one
/// directory. After each step the registry is valid, every file whole, no
/// lock stuck and nothing outside the directory touched; a sync then
/// finishes the job and `check` is clean.
#[test]
fn random_interleavings_of_writers_and_kills_keep_every_file_whole() {
    let started = Instant::now();
    let parent = tempfile::tempdir().unwrap();
    let repo = parent.path().join("repo");
    fs::create_dir(&repo).unwrap();
    fs::write(repo.join("ports.yaml"), interleaving_registry()).unwrap();
    fs::write(repo.join("team.template.yaml"), "server:\n  port: 0\n").unwrap();
    fs::write(repo.join("t.j2"), template("rendered")).unwrap();
    for service in &POOL[..START] {
        for environment in ENVIRONMENTS {
            let file = repo.join(format!("team/{service}/{environment}.yaml"));
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, TEAM_FILE).unwrap();
        }
    }
    // A sibling shaped like the registry's directory, and a file beside both:
    // a write that strays would most likely land there.
    let sibling = parent.path().join("sibling");
    copy_tree(&repo, &sibling);
    fs::write(parent.path().join("note.txt"), "not Portolan's\n").unwrap();
    let start = Instant::now();
    let out = run(&repo, &["sync"]);
    assert!(out.status.success(), "{}", shown(&out));
    let one_run = start.elapsed();
    let before = outside(parent.path(), &repo);

    let steps = count_from_env("PORTOLAN_FAULT_STEPS", 40);
    let seed = Rng::seed(0x2545_F491_4F6C_DD1D);
    let mut rng = Rng(seed);
    let mut history = History::new();
    let mut now = ports(&repo);
    record(&mut history, &now);
    let mut log: Vec<String> = Vec::new();
    let (mut runs, mut killed, mut stopped, mut temps_seen) = (0, 0, 0, 0);
    for step in 0..steps {
        // Each assign and release of a step names its own service, so every
        // run that is neither killed nor stopped must succeed.
        let mut free: Vec<&'static str> = POOL
            .iter()
            .copied()
            .filter(|s| !now.contains_key(*s))
            .collect();
        let mut held: Vec<&'static str> = POOL
            .iter()
            .copied()
            .filter(|s| now.contains_key(*s))
            .collect();
        let count = 1 + rng.below(3);
        let mut ops = Vec::new();
        for _ in 0..count {
            let op = match rng.below(3) {
                1 if !free.is_empty() => {
                    Op::Assign(free.remove(rng.below(free.len() as u64) as usize))
                }
                2 if held.len() > 1 => {
                    Op::Release(held.remove(rng.below(held.len() as u64) as usize))
                }
                _ => Op::Sync,
            };
            let fault = rng.chance(4).then(|| rng.below(12));
            ops.push((op, fault));
        }
        let mut children: Vec<(Child, bool)> = ops
            .iter()
            .map(|(op, fault)| {
                let mut cmd = command(&repo, &op.args());
                if let Some(n) = fault {
                    cmd.env(FAULT, n.to_string());
                }
                let child = cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (child, false)
            })
            .collect();
        if rng.chance(2) {
            let span = one_run.as_micros() as u64 * 2 + 1;
            std::thread::sleep(Duration::from_micros(rng.below(span)));
            for (child, was_killed) in &mut children {
                if rng.chance(2) && child.try_wait().unwrap().is_none() {
                    let _ = child.kill();
                    *was_killed = true;
                }
            }
        }
        let mut what = Vec::new();
        for ((child, was_killed), (op, fault)) in children.into_iter().zip(&ops) {
            let out = child.wait_with_output().unwrap();
            runs += 1;
            let ended = if was_killed {
                killed += 1;
                "killed"
            } else if fault.is_some() && aborted(&out) {
                stopped += 1;
                "stopped"
            } else if out.status.success() {
                "ok"
            } else {
                "FAILED"
            };
            let fault = fault.map_or(String::new(), |n| format!(" (stop after {n})"));
            what.push(format!("{}{fault}: {ended}", op.args().join(" ")));
            assert!(
                ended != "FAILED",
                "seed {seed}, step {step}: `{}` failed: {}\nearlier steps:\n{}",
                op.args().join(" "),
                shown(&out),
                log.join("\n")
            );
        }
        log.push(format!("step {step}: {}", what.join(", ")));
        let context = || {
            format!(
                "seed {seed}, step {step}; the steps so far:\n{}",
                log.join("\n")
            )
        };

        assert!(lock_freed(&repo), "the lock is stuck; {}", context());
        assert!(
            outside(parent.path(), &repo) == before,
            "something outside the registry's directory changed; {}",
            context()
        );
        let check = run(&repo, &["check", "--format", "short"]);
        let text = String::from_utf8_lossy(&check.stdout).into_owned();
        assert!(
            matches!(check.status.code(), Some(0 | 1))
                && text.lines().next() == Some("ports.yaml: ok"),
            "the registry is not valid: {}; {}",
            shown(&check),
            context()
        );
        now = ports(&repo);
        record(&mut history, &now);
        let broken = whole_files(&repo, &history);
        assert!(broken.is_empty(), "{}; {}", broken.join("\n"), context());
        temps_seen += tree(&repo).temps.len();

        // No lock is left stuck, and what was cut short is finished.
        let Some(out) = run_within(&repo, &["sync"]) else {
            panic!("a sync did not finish in {PATIENCE:?}; {}", context());
        };
        assert!(out.status.success(), "{}; {}", shown(&out), context());
        // A released service's team files stay (they are the team's), and
        // check names them; everything else is up to date.
        let check = run(&repo, &["check", "--format", "short"]);
        let listed = String::from_utf8_lossy(&check.stdout).into_owned();
        let only_gone = listed.lines().all(|l| {
            l == "ports.yaml: ok"
                || l.contains("which ports.yaml no longer has")
                || l.contains("files up to date")
        });
        assert!(
            check.status.success() || only_gone,
            "check after a sync: {}; {}",
            shown(&check),
            context()
        );
        let wrong = synced_files(&repo, &now);
        assert!(
            wrong.is_empty(),
            "after a sync: {}; {}",
            wrong.join("\n"),
            context()
        );
    }
    let last = tree(&repo);
    assert!(
        last.temps.is_empty(),
        "temporary files are left after the last sync: {:?}",
        last.temps
    );
    eprintln!(
        "{steps} steps, {runs} runs: {killed} killed, {stopped} stopped by the fault point; {temps_seen} temporary files found between steps; {} services at the end; {:?} in all",
        now.len(),
        started.elapsed()
    );
}

#[test]
fn assign_racing_release_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry =
        String::from("project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n");
    for i in 0..8 {
        registry.push_str(&format!("  old{i}: {{ ports: {{ api: {} }} }}\n", 8000 + i));
    }
    fs::write(dir.path().join("ports.yaml"), &registry).unwrap();
    let children: Vec<_> = (0..8)
        .flat_map(|i| {
            [
                vec!["assign".to_owned(), format!("new{i}")],
                vec!["release".to_owned(), format!("old{i}")],
            ]
        })
        .map(|args| {
            Command::new(env!("CARGO_BIN_EXE_portolan"))
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
