//! `portolan check`: output, formats, exit codes and registry discovery.

use super::{REPO, portolan, stderr, stdout};
use assert_cmd::Command;
use std::path::Path;

const CONFLICT: &str = "project: demo\nenvironments:\n  production: { range: 8000-8799 }\nservices:\n  web: { ports: { api: 8001 } }\n  worker: { ports: { api: 8001 } }\n";
// Renders no artifacts, so only validation speaks.
const VALID_WITH_WARNING: &str = "project: demo\nenvironments:\n  production: { range: 1-9999 }\nservices:\n  web: { ports: { http: 80 } }\nrender: { artifacts: [] }\n";

fn registry(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ports.yaml"), text).unwrap();
    dir
}

#[test]
fn help_shows_every_command_with_an_example() {
    let output = Command::cargo_bin("portolan")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    insta::assert_snapshot!("help", stdout(&output));
    for command in [
        "check",
        "sync",
        "assign",
        "release",
        "list",
        "query",
        "doctor",
        "import",
        "schema",
        "completions",
    ] {
        let output = Command::cargo_bin("portolan")
            .unwrap()
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(
            stdout(&output).contains("\nExamples:\n  portolan "),
            "{command}"
        );
        insta::assert_snapshot!(format!("{command}-help"), stdout(&output));
    }
}

#[test]
fn the_root_registry_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = portolan(&root).args(["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "ports.yaml: ok\n27 files up to date\n",
        "the repository's generated/ and examples are in sync"
    );
    let output = portolan(&root)
        .args(["check", "-f", "examples/rerp/ports.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn errors_exit_1_with_snippets_and_a_summary() {
    let dir = registry(CONFLICT);
    let output = portolan(dir.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("conflict-human", stdout(&output));
}

#[test]
fn short_format_is_one_line_per_finding() {
    let dir = registry(CONFLICT);
    let output = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "ports.yaml:6:27: error[port-conflict]: port 8001 of `worker.api` in production is already used by `web.api` in production; \
         `web.api` in production holds it at ports.yaml:5:24; help: the nearest free port in the range of production (8000-8799) is 8000\n\
         ports.yaml: 1 error\n"
    );
}

#[test]
fn json_format_lists_findings_with_locations() {
    let dir = registry(CONFLICT);
    let output = portolan(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("conflict-json", stdout(&output));
}

#[test]
fn warnings_alone_exit_0() {
    let dir = registry(VALID_WITH_WARNING);
    let output = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("warning[privileged-port]"));
    assert!(stdout(&output).ends_with("ports.yaml: ok, 1 warning\n"));
}

#[test]
fn the_nearest_parent_registry_is_found() {
    let dir = registry(VALID_WITH_WARNING);
    let deep = dir.path().join("services/web");
    std::fs::create_dir_all(&deep).unwrap();
    let output = portolan(&deep)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let expected = format!(
        "{}: ok, 1 warning\n",
        dir.path().join("ports.yaml").display()
    );
    assert!(stdout(&output).ends_with(&expected), "{}", stdout(&output));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = portolan(dir.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: no ports.yaml in "), "{stderr}");
    let output = portolan(dir.path())
        .args(["check", "-f", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("missing.yaml: No such file or directory")
    );
    let output = portolan(dir.path())
        .args(["check", "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = portolan(dir.path()).arg("frobnicate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_syntax_error_is_a_finding_not_a_crash() {
    let dir = registry("project: demo\nenvironments: [\n");
    let output = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("ports.yaml:"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("error[yaml-syntax]"));
    assert!(
        !String::from_utf8(output.stderr)
            .unwrap()
            .contains("panicked")
    );
}

#[test]
fn completions_cover_every_command_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = Command::cargo_bin("portolan")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}");
        // The script asks portolan for each word.
        let script = stdout(&output);
        assert!(
            script.contains(&format!("COMPLETE={shell}"))
                || script.contains(&format!("COMPLETE=\"{shell}\"")),
            "{shell}: {script}"
        );
        let words = Command::cargo_bin("portolan")
            .unwrap()
            .env("PORTOLAN_COMPLETE", "fish")
            .args(["--", "portolan", ""])
            .output()
            .unwrap();
        for command in [
            "init",
            "check",
            "sync",
            "assign",
            "release",
            "list",
            "query",
            "doctor",
            "import",
            "schema",
            "completions",
        ] {
            assert!(
                stdout(&words)
                    .lines()
                    .any(|l| l.starts_with(&format!("{command}\t"))),
                "{command}: {}",
                stdout(&words)
            );
        }
    }
}

/// A `COMPLETE` variable of some other tool leaves every command as it is.
#[test]
fn a_generic_complete_variable_is_not_portolans() {
    let dir = registry(
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\n",
    );
    for value in ["bash", "1"] {
        let out = portolan(dir.path())
            .env("COMPLETE", value)
            .arg("check")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "COMPLETE={value}: {}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "ports.yaml: ok\n", "COMPLETE={value}");
    }
}

/// `--color` reaches clap's own help and errors too.
#[test]
fn color_reaches_the_help() {
    let help = |choice: &str| {
        let out = Command::cargo_bin("portolan")
            .unwrap()
            .env_remove("NO_COLOR")
            .args(["--color", choice, "check", "--help"])
            .output()
            .unwrap();
        assert!(out.status.success());
        stdout(&out)
    };
    assert!(help("always").contains('\u{1b}'));
    assert!(!help("never").contains('\u{1b}'));
}

/// Bash, with the script `completions bash` prints, completes the names of
/// the nearest registry: services (and infrastructure for `query`),
/// environments, port names, hosts.
#[test]
fn bash_completes_the_registrys_names() {
    let dir = registry(
        "project: demo\nenvironments:\n  production: { range: 8000-8099 }\n  kind-test: { range: 9000-9099, host: kind }\nservices:\n  ledger: { description: Ledger, ports: { api: { production: 8001, kind-test: 9001 }, metrics: { production: 8002, kind-test: 9002 } } }\n  billing: { ports: { grpc: { production: 8003, kind-test: 9003 } } }\ninfrastructure:\n  services:\n    postgres: { port: 5432 }\nrender: { artifacts: [] }\n",
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_portolan"));
    let script = stdout(
        &Command::cargo_bin("portolan")
            .unwrap()
            .args(["completions", "bash"])
            .output()
            .unwrap(),
    );
    std::fs::write(dir.path().join("complete.bash"), script).unwrap();
    let complete = |words: &[&str]| {
        let line = words.join(" ");
        let list = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let program = format!(
            "source ./complete.bash; COMP_WORDS=({list}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9; _clap_complete_portolan portolan '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(program)
            .current_dir(dir.path())
            .env("PATH", path)
            .output()
            .unwrap();
        let mut got: Vec<String> = stdout(&out)
            .lines()
            .filter(|l| !l.starts_with('-'))
            .map(str::to_owned)
            .collect();
        got.sort();
        got
    };
    assert_eq!(
        complete(&["portolan", "release", ""]),
        ["billing", "ledger"]
    );
    assert_eq!(
        complete(&["portolan", "query", ""]),
        ["billing", "ledger", "postgres"]
    );
    assert_eq!(complete(&["portolan", "query", "le"]), ["ledger"]);
    assert_eq!(
        complete(&["portolan", "list", "--env", ""]),
        ["kind-test", "production"]
    );
    assert_eq!(
        complete(&["portolan", "release", "ledger", "--name", ""]),
        ["api", "grpc", "metrics"]
    );
    assert_eq!(complete(&["portolan", "doctor", "--host", ""]), ["kind"]);
}

#[test]
fn schema_prints_the_rendered_schema() {
    let output = Command::cargo_bin("portolan")
        .unwrap()
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated/ports.schema.json");
    assert_eq!(stdout(&output), std::fs::read_to_string(root).unwrap());
}

#[test]
fn repeated_warnings_are_summarised_but_errors_are_not() {
    // Eight privileged ports (warnings) and two conflicts (errors).
    let mut text = String::from(
        "project: demo\nenvironments:\n  production: { range: 1-9999 }\nrender: { artifacts: [] }\nservices:\n",
    );
    for i in 0..8 {
        text.push_str(&format!("  s{i}: {{ ports: {{ api: {} }} }}\n", 100 + i));
    }
    text.push_str("  c1: { ports: { api: 2000 } }\n  c2: { ports: { api: 2000 } }\n  c3: { ports: { api: 2000 } }\n");
    let dir = registry(&text);
    for format in ["human", "short"] {
        let output = portolan(dir.path())
            .args(["check", "--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let out = stdout(&output);
        assert_eq!(out.matches("warning[privileged-port]").count(), 5, "{out}");
        assert_eq!(out.matches("error[port-conflict]").count(), 2, "{out}");
        assert!(
            out.contains("... and 3 more privileged-port warnings ("),
            "{out}"
        );
        assert!(out.contains("ports.yaml: 2 errors, 8 warnings"), "{out}");
    }
    // JSON lists every finding.
    let output = portolan(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(items.len(), 10);
}

/// doctor checks one host: an environment of another host, or a host no
/// entry names, is a usage error that says what to pass.
#[test]
fn doctor_refuses_a_host_and_environment_that_do_not_go_together() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        "project: demo\nenvironments:\n  local: { range: 8000-8099 }\n  kind: { range: 9000-9099, host: cluster }\nservices:\n  web: { ports: { api: { local: 8000, kind: 9000 } } }\n",
    )
    .unwrap();
    for (args, expected) in [
        (
            vec!["doctor", "--env", "kind"],
            "error: environment `kind` runs on host `cluster`; pass --host cluster\n",
        ),
        (
            vec!["doctor", "--env", "local", "--host", "cluster"],
            "error: environment `local` runs on the shared host; leave out --host\n",
        ),
        (
            vec!["doctor", "--host", "prod"],
            "error: no environment or infrastructure names host `prod`; the hosts are cluster (and the shared host, without --host)\n",
        ),
    ] {
        let out = portolan(dir.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(crate::stderr(&out), expected, "{args:?}");
    }
}

/// `-f` before the command is the command's own; a command that reads no
/// registry refuses it.
#[test]
fn the_registry_may_be_named_before_the_command() {
    let root = Path::new(REPO);
    let out = portolan(root)
        .args([
            "-f",
            "examples/rerp/ports.yaml",
            "check",
            "--format",
            "short",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("examples/rerp/ports.yaml: ok\n"));
    let out = portolan(root)
        .args(["-f", "x.yaml", "schema"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("this command reads none"));
}

/// Colour follows the ecosystem's variables: CLICOLOR_FORCE colours a pipe,
/// and an empty NO_COLOR does not turn colour off.
#[test]
fn colour_follows_clicolor_force_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 80 } }\n",
    )
    .unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = portolan(dir.path());
        cmd.env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        stdout(&cmd.arg("check").output().unwrap())
    };
    assert!(run(&[("CLICOLOR_FORCE", "1")]).contains('\u{1b}'));
    assert!(run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]).contains('\u{1b}'));
    assert!(!run(&[]).contains('\u{1b}'), "a pipe is not a terminal");
    assert!(!run(&[("CLICOLOR_FORCE", "0")]).contains('\u{1b}'));
    assert!(!run(&[("CLICOLOR_FORCE", "")]).contains('\u{1b}'));
}

/// `--color` is one flag of every command, before or after it: findings,
/// the dry-run diffs of sync, assign and release, and import's snippets.
#[test]
fn color_is_one_flag_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 80 } }\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = portolan(dir.path())
            .env_remove("CLICOLOR_FORCE")
            .args(args)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        stdout(&out)
    };
    assert!(run(&["--color", "always", "check"]).contains('\u{1b}'));
    assert!(run(&["check", "--color", "always"]).contains('\u{1b}'));
    assert!(!run(&["check", "--color", "never"]).contains('\u{1b}'));
    std::fs::write(
        dir.path().join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\n",
    )
    .unwrap();
    let assign = run(&["assign", "billing", "--dry-run", "--color", "always"]);
    assert!(assign.contains("\u{1b}[32m+"), "{assign}");
    assert!(!run(&["assign", "billing", "--dry-run", "--color", "never"]).contains('\u{1b}'));
    let release = run(&["--color=always", "release", "web", "--dry-run"]);
    assert!(release.contains("\u{1b}[31m-"), "{release}");
    for command in [&["list"][..], &["query", "web"], &["schema"], &["doctor"]] {
        let mut args = command.to_vec();
        args.extend(["--color", "never"]);
        run(&args);
    }
}

/// With `--format json`, a check that cannot run still prints a JSON
/// document (and exits 2).
#[test]
fn json_output_is_json_even_when_check_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = portolan(dir.path())
        .args(["check", "-f", "missing.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let items: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(items[0]["code"], "cannot-run");
    assert!(
        items[0]["message"]
            .as_str()
            .unwrap()
            .contains("missing.yaml")
    );
}

/// `list`, `query` and `doctor` of a registry with errors print its findings
/// once, then the summary, and list nothing.
#[test]
fn read_only_views_of_an_invalid_registry_print_its_findings_once() {
    let dir = registry(
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n  api: { ports: { http: 8000 } }\nrender: { artifacts: [] }\n",
    );
    for command in [&["list"][..], &["query", "web"], &["doctor"]] {
        let out = portolan(dir.path()).args(command).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        assert_eq!(
            stdout(&out),
            "ports.yaml:6:25: error[port-conflict]: port 8000 of `api.http` in dev is already used by `web.api` in dev; `web.api` in dev holds it at ports.yaml:5:24; help: the nearest free port in the range of dev (8000-8099) is 8001\nports.yaml: 1 error\n",
            "{command:?}"
        );
    }
}
