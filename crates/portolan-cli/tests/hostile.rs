//! Hostile input: every registry in `tests/hostile/` (and a few too large to
//! keep in git, made here) is run through `portolan check` and
//! `portolan sync --dry-run`; hostile team files and templates through
//! `portolan sync`.
//!
//! For each, the test asserts what holds for any input — an exit code of 1
//! (findings) or 2 (could not run), never a panic or a signal, within a time
//! and an address-space bound, every error located as `file:line:column`, and
//! no file changed by a refused sync — and snapshots the exact output.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Each run gets this much address space (`prlimit --as`) ...
const MEMORY: u64 = 1 << 30;
/// ... and this much time, debug build on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// One run of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `portolan args` in `dir` under the memory bound; kills it at the deadline.
fn portolan(dir: &Path, args: &[&str]) -> Run {
    portolan_under(&[], dir, args)
}

/// Whether the tests run on CI (`CI=true`), where a missing tool must fail
/// them rather than weaken them.
fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// [`portolan`] started by `wrapper` (a command that execs the rest of its
/// arguments, such as `setpriv`), or directly when `wrapper` is empty.
fn portolan_under(wrapper: &[String], dir: &Path, args: &[&str]) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("portolan");
    let prlimit = Path::new("/usr/bin/prlimit");
    let mut argv: Vec<std::ffi::OsString> = wrapper.iter().map(Into::into).collect();
    if prlimit.exists() {
        argv.extend([prlimit.into(), format!("--as={MEMORY}").into(), "--".into()]);
    } else {
        // Without it a runaway allocation is not caught as one.
        assert!(
            !on_ci(),
            "/usr/bin/prlimit is missing, so the hostile tests cannot bound the binary's memory \
             ({MEMORY} bytes); install util-linux on the CI image"
        );
        // Straight to stderr: the test harness swallows `eprintln!` of passing tests.
        static NOTE: std::sync::Once = std::sync::Once::new();
        NOTE.call_once(|| {
            let note = format!(
                "\n*** WARNING: /usr/bin/prlimit (util-linux) is missing: the hostile tests run \
                 WITHOUT their {MEMORY}-byte memory bound (CI fails instead) ***\n\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
        });
    }
    argv.push(bin.into());
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    let start = Instant::now();
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes on threads so a chatty child never blocks.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "portolan {args:?} in {} ran past {DEADLINE:?}",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if elapsed > Duration::from_secs(2) {
        eprintln!("portolan {args:?}: {elapsed:?}");
    }
    let text =
        |v: Vec<u8>| String::from_utf8_lossy(&v).replace(&dir.display().to_string(), "[DIR]");
    Run {
        code: status.code(),
        stdout: text(out.join().unwrap()),
        stderr: text(err.join().unwrap()),
    }
}

/// Asserts what must hold for any input, and returns the run as a transcript.
#[track_caller]
fn transcript(name: &str, dir: &Path, args: &[&str]) -> String {
    let run = portolan(dir, args);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "{name}: portolan {args:?} panicked:\n{all}"
    );
    assert!(
        !all.contains("memory allocation"),
        "{name}: portolan {args:?} ran out of its {MEMORY} bytes:\n{all}"
    );
    let code = run
        .code
        .unwrap_or_else(|| panic!("{name}: portolan {args:?} was killed by a signal:\n{all}"));
    assert!([0, 1, 2].contains(&code), "{name}: exit {code}\n{all}");
    // Findings are located: `file:line:column: error[code]: ...`.
    for line in run.stdout.lines().filter(|l| l.contains(": error[")) {
        assert!(located(line), "{name}: finding not located: {line:?}");
    }
    if code == 2 {
        assert!(
            run.stderr.starts_with("error: "),
            "{name}: exit 2 without an error line:\n{all}"
        );
    }
    format!(
        "$ portolan {}\nexit: {code}\n{}{}",
        args.join(" "),
        indent("stdout", &run.stdout),
        indent("stderr", &run.stderr)
    )
}

/// `path:line:column: ` at the start of a line.
fn located(line: &str) -> bool {
    let mut parts = line.splitn(4, ':');
    let (Some(file), Some(l), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !file.is_empty()
        && l.parse::<u32>().is_ok_and(|l| l > 0)
        && c.parse::<u32>().is_ok_and(|c| c > 0)
}

fn indent(label: &str, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    // Very long outputs are cut in the snapshot, not in the assertions.
    let mut lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    lines.truncate(40);
    let mut out = format!("{label}:\n");
    for l in &lines {
        let l = if l.len() > 300 {
            format!("{}… ({} bytes)", &l[..l.floor_char_boundary(300)], l.len())
        } else {
            (*l).to_owned()
        };
        out.push_str(&format!("  {l}\n"));
    }
    if total > lines.len() {
        out.push_str(&format!("  … ({total} lines in all)\n"));
    }
    out
}

/// Every file under `dir` (symlinks not followed) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if kind.is_dir() {
                out.insert(rel, b"<dir>".to_vec());
                walk(root, &path, out);
            } else if kind.is_file() {
                out.insert(rel, std::fs::read(&path).unwrap_or_default());
            } else {
                out.insert(rel, format!("<{kind:?}>").into_bytes());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A directory holding `registry` as ports.yaml.
fn with_registry(registry: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    dir
}

/// `check` and `sync --dry-run` of one registry; neither writes anything.
fn registry_transcript(name: &str, registry: &[u8]) -> String {
    let dir = with_registry(registry);
    let before = snapshot(dir.path());
    let check = transcript(name, dir.path(), &["check", "--format", "short"]);
    let human = transcript(name, dir.path(), &["check"]);
    let sync = transcript(name, dir.path(), &["sync", "--dry-run"]);
    assert_eq!(snapshot(dir.path()), before, "{name}: a dry run wrote");
    format!("{check}\n{human}\n{sync}")
}

#[test]
fn hostile_registries_fail_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the corpus is in {}", dir.display());
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        insta::assert_snapshot!(name.clone(), registry_transcript(&name, &bytes));
    }
}

const HEAD: &str = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n";

/// Registries too large to keep in git, made on the fly.
#[test]
fn huge_and_deep_registries_fail_cleanly() {
    let ten_mb = 10 << 20;
    // Files of findings on every line: 2 MB keeps a debug run in seconds.
    let two_mb = 2 << 20;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "deep-flow-nesting",
            format!("{HEAD}services: {}", "[".repeat(200_000)).into_bytes(),
        ),
        ("deep-block-nesting", {
            let mut s = String::from(HEAD);
            s.push_str("services:\n");
            for depth in 1..2_000 {
                s.push_str(&" ".repeat(depth));
                s.push_str("a:\n");
            }
            s.into_bytes()
        }),
        ("deep-flow-mappings", {
            let mut s = format!("{HEAD}services: ");
            s.push_str(&"{a: ".repeat(100_000));
            s.push_str(&"}".repeat(100_000));
            s.into_bytes()
        }),
        (
            "ten-megabyte-description",
            format!(
                "{HEAD}services:\n  web:\n    description: {}\n    ports: {{ api: 8000 }}\n",
                "x".repeat(ten_mb)
            )
            .into_bytes(),
        ),
        ("two-megabytes-of-services", {
            // Every service on the same port: one conflict per service.
            let mut s = format!("{HEAD}services:\n");
            let mut i = 0;
            while s.len() < two_mb {
                s.push_str(&format!(
                    "  s{i}: {{ ports: {{ api: 8000 }}, description: {} }}\n",
                    "x".repeat(64)
                ));
                i += 1;
            }
            s.into_bytes()
        }),
        ("two-megabytes-one-line", {
            let mut s = format!("{HEAD}services: {{ ");
            let mut i = 0;
            while s.len() < two_mb {
                s.push_str(&format!(
                    "s{i}: {{ ports: {{ api: {} }} }}, ",
                    8000 + i % 200
                ));
                i += 1;
            }
            s.push('}');
            s.into_bytes()
        }),
        ("many-aliases-of-one-anchor", {
            // Linear, not exponential: 200 000 aliases of a small list.
            let mut s = format!("{HEAD}x: &x [1, 2, 3]\ny: [");
            s.push_str(&"*x, ".repeat(200_000));
            s.push_str("]\n");
            s.into_bytes()
        }),
        ("ten-megabytes-of-zero-bytes", vec![0u8; ten_mb]),
        ("ten-megabytes-of-invalid-utf8", vec![0xffu8; ten_mb]),
    ];
    for (name, bytes) in cases {
        let start = Instant::now();
        let text = registry_transcript(name, &bytes);
        insta::assert_snapshot!(name, text);
        eprintln!(
            "{name}: {} bytes, three runs in {:?}",
            bytes.len(),
            start.elapsed()
        );
    }
}

/// A registry whose one sync entry writes `file` from the web port.
fn sync_registry(file: &str) -> String {
    format!(
        "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ artifacts: [env] }}\nsync:\n  - file: {file}\n    values: {{ port: \"{{{{ port('web') }}}}\" }}\n"
    )
}

/// `sync` (for real) in a directory `setup` prepared; it must refuse and
/// change nothing.
fn refused_sync(name: &str, registry: &str, setup: impl FnOnce(&Path)) -> String {
    let dir = with_registry(registry.as_bytes());
    setup(dir.path());
    let before = snapshot(dir.path());
    let text = transcript(name, dir.path(), &["sync"]);
    assert!(!text.contains("exit: 0"), "{name}: sync succeeded\n{text}");
    assert_eq!(
        snapshot(dir.path()),
        before,
        "{name}: a refused sync changed files"
    );
    text
}

/// Prepares a case's directory.
type Setup = Box<dyn FnOnce(&Path)>;

#[test]
fn hostile_team_files_are_refused_and_nothing_changes() {
    let cases: Vec<(&str, String, Setup)> = vec![
        (
            "target-is-a-directory",
            sync_registry("config/app.yaml"),
            Box::new(|d: &Path| std::fs::create_dir_all(d.join("config/app.yaml")).unwrap()),
        ),
        (
            "target-is-not-yaml",
            sync_registry("app.yaml"),
            Box::new(|d: &Path| std::fs::write(d.join("app.yaml"), "port: [1, 2\n\t}{\n").unwrap()),
        ),
        (
            "target-is-binary",
            sync_registry("app.yaml"),
            Box::new(|d: &Path| {
                std::fs::write(d.join("app.yaml"), b"\x7fELF\x02\x01\x01\0\xff\xfe").unwrap()
            }),
        ),
        (
            "target-root-is-a-list",
            sync_registry("app.yaml"),
            Box::new(|d: &Path| std::fs::write(d.join("app.yaml"), "- port: 1\n").unwrap()),
        ),
        (
            "target-value-is-a-mapping",
            sync_registry("app.yaml"),
            Box::new(|d: &Path| {
                std::fs::write(d.join("app.yaml"), "port:\n  nested: 1\n").unwrap()
            }),
        ),
        (
            "target-in-a-parent-that-is-a-file",
            sync_registry("config/app.yaml"),
            Box::new(|d: &Path| std::fs::write(d.join("config"), "a file").unwrap()),
        ),
        (
            "target-absolute",
            sync_registry("/tmp/portolan-hostile-absolute.yaml"),
            Box::new(|_: &Path| {}),
        ),
        (
            "target-dot-dot",
            sync_registry("config/../../escaped.yaml"),
            Box::new(|_: &Path| {}),
        ),
        (
            "target-through-a-directory-symlink-out",
            sync_registry("out/app.yaml"),
            Box::new(|d: &Path| {
                let outside = d.join("../").canonicalize().unwrap();
                std::os::unix::fs::symlink(outside, d.join("out")).unwrap();
            }),
        ),
        (
            "artifacts-dir-dot-dot",
            format!(
                "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ dir: ../escaped, artifacts: [env] }}\n"
            ),
            Box::new(|_: &Path| {}),
        ),
        (
            "artifacts-dir-absolute",
            format!(
                "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ dir: /tmp/portolan-hostile, artifacts: [env] }}\n"
            ),
            Box::new(|_: &Path| {}),
        ),
        (
            "artifacts-dir-is-a-file",
            format!(
                "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ dir: generated, artifacts: [env] }}\n"
            ),
            Box::new(|d: &Path| std::fs::write(d.join("generated"), "a file").unwrap()),
        ),
        (
            "template-output-dot-dot",
            template_registry("t.j2", "../escaped.txt"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "x").unwrap()),
        ),
        (
            "template-output-absolute",
            template_registry("t.j2", "/tmp/portolan-hostile.txt"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "x").unwrap()),
        ),
        (
            "template-path-absolute",
            template_registry("/etc/passwd", "out.txt"),
            Box::new(|_: &Path| {}),
        ),
        (
            "template-path-dot-dot",
            template_registry("../secret.j2", "out.txt"),
            Box::new(|_: &Path| {}),
        ),
        (
            "template-includes-a-file-outside",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(d.join("t.j2"), "{% include '/etc/passwd' %}").unwrap()
            }),
        ),
        (
            "template-includes-its-sibling",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(d.join("t.j2"), "{% include 'ports.yaml' %}").unwrap();
            }),
        ),
        (
            "template-imports-itself",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "{% extends 't.j2' %}").unwrap()),
        ),
        (
            "template-recurses-forever",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(
                    d.join("t.j2"),
                    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
                )
                .unwrap()
            }),
        ),
        (
            "template-huge-range",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(
                    d.join("t.j2"),
                    "{% for i in range(1000000000) %}{{ i }}{% endfor %}",
                )
                .unwrap()
            }),
        ),
        (
            "template-reads-the-environment",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(
                    d.join("t.j2"),
                    "{{ env('HOME') }}{{ self.__init__ }}{{ cycler.__init__.__globals__ }}",
                )
                .unwrap()
            }),
        ),
        (
            "template-syntax-error",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "{% for %}").unwrap()),
        ),
        (
            "template-is-a-directory",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| std::fs::create_dir(d.join("t.j2")).unwrap()),
        ),
        (
            "template-is-not-utf8",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), b"\xff\xfe{{ 1 }}").unwrap()),
        ),
        (
            "value-template-injection",
            format!(
                "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ port: \"{{% include '/etc/passwd' %}}\" }}\n"
            ),
            Box::new(|d: &Path| std::fs::write(d.join("app.yaml"), "port: 1\n").unwrap()),
        ),
        // Bounded work: steps (fuel), output size and memory.
        (
            "template-nested-loops",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(
                    d.join("t.j2"),
                    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                )
                .unwrap()
            }),
        ),
        // Recursion without macros: a recursive loop meets minijinja's depth limit.
        (
            "template-recursive-loop",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(
                    d.join("t.j2"),
                    "{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}",
                )
                .unwrap()
            }),
        ),
        (
            "template-doubles-a-string",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                let doubling = "{% set s = s ~ s %}".repeat(40);
                std::fs::write(
                    d.join("t.j2"),
                    format!("{{% set s = 'xxxxxxxx' %}}{doubling}{{{{ s|length }}}}"),
                )
                .unwrap()
            }),
        ),
        (
            "template-output-too-large",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(
                    d.join("t.j2"),
                    "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
                )
                .unwrap()
            }),
        ),
        (
            "value-output-too-large",
            format!(
                "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ port: \"{{{{ 'x' * 100000 }}}}\" }}\n"
            ),
            Box::new(|d: &Path| std::fs::write(d.join("app.yaml"), "port: 1\n").unwrap()),
        ),
        // Files no output or team file may be.
        (
            "template-output-in-git",
            template_registry("t.j2", ".git/config"),
            Box::new(|d: &Path| {
                std::fs::create_dir(d.join(".git")).unwrap();
                std::fs::write(d.join(".git/config"), "[core]\n").unwrap();
                std::fs::write(d.join("t.j2"), "[core]\n\tfsmonitor = touch /tmp/pwned\n").unwrap()
            }),
        ),
        (
            "template-output-is-the-registry",
            template_registry("t.j2", "ports.yaml"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "project: x\n").unwrap()),
        ),
        (
            "template-output-is-the-template",
            template_registry("t.j2", "t.j2"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "x").unwrap()),
        ),
        (
            "template-output-is-the-manifest",
            template_registry("t.j2", "generated/.portolan-manifest"),
            Box::new(|d: &Path| std::fs::write(d.join("t.j2"), "file ports.yaml\n").unwrap()),
        ),
        (
            "template-output-through-a-symlink-to-the-registry",
            template_registry("t.j2", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::write(d.join("t.j2"), "x").unwrap();
                std::os::unix::fs::symlink("ports.yaml", d.join("out.txt")).unwrap();
            }),
        ),
        (
            "template-read-from-git",
            template_registry(".git/config", "out.txt"),
            Box::new(|d: &Path| {
                std::fs::create_dir(d.join(".git")).unwrap();
                std::fs::write(
                    d.join(".git/config"),
                    "[remote]\n\turl = https://token@host/\n",
                )
                .unwrap();
            }),
        ),
        (
            "team-file-is-the-registry",
            sync_registry("ports.yaml"),
            Box::new(|_: &Path| {}),
        ),
        (
            "team-file-in-git",
            sync_registry(".git/config.yaml"),
            Box::new(|d: &Path| std::fs::create_dir(d.join(".git")).unwrap()),
        ),
        (
            "artifacts-in-git",
            format!(
                "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ dir: .git/hooks, artifacts: [env] }}\n"
            ),
            Box::new(|d: &Path| std::fs::create_dir(d.join(".git")).unwrap()),
        ),
    ];
    for (name, registry, setup) in cases {
        let text = refused_sync(name, &registry, setup);
        insta::assert_snapshot!(name, text);
    }
    for leaked in [
        "/tmp/portolan-hostile-absolute.yaml",
        "/tmp/portolan-hostile",
        "/tmp/portolan-hostile.txt",
    ] {
        assert!(!Path::new(leaked).exists(), "{leaked} was written");
    }
}

fn template_registry(template: &str, output: &str) -> String {
    format!(
        "{HEAD}services:\n  web: {{ ports: {{ api: 8000 }} }}\nrender:\n  artifacts: []\n  templates:\n    - template: {template}\n      output: {output}\n"
    )
}

/// The editor reads events and never expands aliases, so an alias bomb in a
/// team file is just text: the owned value changes and nothing else.
#[test]
fn an_alias_bomb_in_a_team_file_is_edited_without_expanding_it() {
    let dir = with_registry(sync_registry("app.yaml").as_bytes());
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for (n, p) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        bomb.push_str(&format!(
            "{n}: &{n} [{}]\n",
            vec![format!("*{p}"); 10].join(",")
        ));
    }
    std::fs::write(dir.path().join("app.yaml"), format!("{bomb}port: 1\n")).unwrap();
    let text = transcript("alias bomb", dir.path(), &["sync"]);
    assert!(text.contains("exit: 0"), "{text}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        format!("{bomb}port: 8000\n")
    );
}

/// A team file that blocks on read (a FIFO) must not hang sync forever.
#[cfg(unix)]
#[test]
fn a_fifo_as_a_team_file_does_not_hang_sync() {
    let dir = with_registry(sync_registry("app.yaml").as_bytes());
    let status = Command::new("mkfifo")
        .arg(dir.path().join("app.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    let text = transcript("fifo", dir.path(), &["sync"]);
    assert!(!text.contains("exit: 0"), "{text}");
    insta::assert_snapshot!("target-is-a-fifo", text);
}

/// A team file the user may not read is refused, and nothing is written.
#[cfg(unix)]
#[test]
fn an_unreadable_team_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = with_registry(sync_registry("app.yaml").as_bytes());
    let file = dir.path().join("app.yaml");
    std::fs::write(&file, "port: 1\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut wrapper = Vec::new();
    if std::fs::read(&file).is_ok() {
        // Root reads any file (CI runs as root): run the binary as nobody. It
        // owns the directory and ports.yaml, so a sync that wrote anything
        // despite the refusal shows in the snapshot.
        let setpriv = "/usr/bin/setpriv";
        if !Path::new(setpriv).exists() {
            assert!(
                !on_ci(),
                "{setpriv} is missing: as root this test cannot run sync as a user who may not \
                 read app.yaml; install util-linux on the CI image"
            );
            // Straight to stderr: the test harness swallows `eprintln!` of passing tests.
            let note = format!(
                "\n*** WARNING: an_unreadable_team_file_is_refused did NOT run: this user reads \
                 any file and {setpriv} (util-linux) is missing (CI fails instead) ***\n\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
            return;
        }
        let nobody = 65534;
        for path in [dir.path().to_owned(), dir.path().join("ports.yaml")] {
            std::os::unix::fs::chown(&path, Some(nobody), Some(nobody)).unwrap();
        }
        wrapper = vec![
            setpriv.to_owned(),
            format!("--reuid={nobody}"),
            format!("--regid={nobody}"),
            "--clear-groups".to_owned(),
            "--".to_owned(),
        ];
    }
    let before = snapshot(dir.path());
    let run = portolan_under(&wrapper, dir.path(), &["sync"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.code,
        Some(1),
        "sync must refuse app.yaml (run by root, it runs as uid 65534, who must reach the \
         binary and the temporary directory):\n{all}"
    );
    assert!(
        all.contains("app.yaml: cannot read: Permission denied"),
        "the refusal must name app.yaml and why:\n{all}"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "a refused sync changed files:\n{all}"
    );
}
