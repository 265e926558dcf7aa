//! `portolan import`: exit codes, what it prints, when it writes, and that
//! what it writes passes `portolan check`.

use super::{portolan, stderr, stdout};

/// A Lumiere registry whose test courier publishes host port 7764 for its
/// container port 7765, and whose discovery URL names neither; everything
/// else is sound.
const LUMIERE: &str = r#"project: lumiere
environments:
  production:
    pourtier: { description: User Management API, api_port: 8000, health_port: 8091 }
    courier: { description: Event Bus (WebSocket), api_port: 8765, health_port: 8791 }
    passeur: { description: Blockchain Bridge, api_port: 8766, bridge_port: 8768 }
    service_discovery: { courier_url: "http://courier:8765" }
  development:
    pourtier: { api_port: 9000, health_port: 9091 }
    courier: { api_port: 9765, health_port: 9791 }
    passeur: { api_port: 9766, bridge_port: 9768 }
    service_discovery: { courier_url: "http://courier:9765" }
  test:
    pourtier: { api_port: 7000, health_port: 7091 }
    courier: { api_port: 7765, api_mapping: "7764:7765", health_port: 7791 }
    passeur: { api_port: 7766, bridge_port: 7768 }
    service_discovery: { courier_url: "http://courier:7767" }
infrastructure:
  postgres: { port: 5432, description: Database }
  postgres-test: { mapping: "5433:5432", description: Test database }
"#;

const RERP: &str = r#"{
  "next_port": 8004,
  "reserved_ports": [8080],
  "assignments": { "general-ledger": 8001, "invoice": 8002, "accounts-receivable": 8003 }
}"#;

/// 9800 + 23000 = 32800: past Kubernetes' 32767.
const RERP_NODE_PORT_OUT_OF_RANGE: &str = r#"{
  "next_port": 9801,
  "assignments": { "general-ledger": 8001, "reporting": 9800 }
}"#;

const RERP_DUPLICATE: &str = r#"{
  "assignments": { "general-ledger": 8001, "invoice": 8002, "accounts-receivable": 8002 }
}"#;

fn dir_with(file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    dir
}

#[test]
fn a_lumiere_registry_is_imported_with_its_problems_and_passes_check() {
    let dir = dir_with("old-ports.yaml", LUMIERE);
    let output = portolan(dir.path())
        .args(["import", "old-ports.yaml"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    // Each finding once, at its line in the source, with a snippet.
    assert!(
        text.starts_with(
            "warning[import-choice]: http://courier:7767 uses port 7767, but `courier.api` listens \
             on 7765 in test; Portolan derives the URL from the port (http://courier:7765), so fix \
             the configs that still use 7767\n  --> old-ports.yaml:17:26\n"
        ),
        "{text}"
    );
    // "host:container": the port key is the container side.
    assert!(
        text.contains(
            "old-ports.yaml:15:16: note: `api_port: 7765` is the container side of `api_mapping: \
             \"7764:7765\"`; imported as host port 7764 with container_port 7765\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("old-ports.yaml: note: service_discovery URLs are not copied"),
        "{text}"
    );
    assert!(!text.contains("configs use"), "{text}");
    assert!(
        text.ends_with(
            "wrote ports.yaml: 3 services, 3 environments, 2 infrastructure entries\nnext: `portolan sync` renders generated/, then `portolan check`\n"
        ),
        "{text}"
    );
    let written = std::fs::read_to_string(dir.path().join("ports.yaml")).unwrap();
    assert!(written.starts_with(
        "# Imported from old-ports.yaml by portolan import; review the notes below.\n"
    ));
    assert!(
        written.contains(
            "    postgres-test: { port: 5433, container_port: 5432, description: Test database }\n"
        ),
        "{written}"
    );
    assert!(
        written.contains("test: { port: 7764, container_port: 7765 }"),
        "{written}"
    );

    // It validates; once `sync` has rendered generated/, `check` is clean.
    let output = portolan(dir.path()).arg("check").output().unwrap();
    assert!(
        stdout(&output).starts_with("ports.yaml: ok\n"),
        "{}",
        stdout(&output)
    );
    let output = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = portolan(dir.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn an_existing_output_is_kept_unless_forced() {
    let dir = dir_with("port-registry.json", RERP);
    std::fs::write(dir.path().join("ports.yaml"), "# mine\n").unwrap();
    let output = portolan(dir.path())
        .args(["import", "port-registry.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: ports.yaml already exists; nothing was written (pass --force to replace it)\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ports.yaml")).unwrap(),
        "# mine\n"
    );

    let output = portolan(dir.path())
        .args([
            "import",
            "port-registry.json",
            "--force",
            "--project",
            "rerp",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "port-registry.json:2:3: note: 8004 is not copied: `portolan assign` picks the lowest \
         free port in the range itself\n\
         port-registry.json: note: environment `cluster`: range 8001-8099 (the lowest assigned port \
         to the end of its hundred) with NodePorts of port + 23000 in 31000-31999\n\
         wrote ports.yaml: 3 services, 1 environment\n\
         next: `portolan sync` renders generated/, then `portolan check`\n"
    );
    let written = std::fs::read_to_string(dir.path().join("ports.yaml")).unwrap();
    assert!(written.contains("project: rerp\n"));
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_node_port_out_of_range_is_explained_once_and_nothing_is_written() {
    let dir = dir_with("port-registry.json", RERP_NODE_PORT_OUT_OF_RANGE);
    let output = portolan(dir.path())
        .args(["import", "port-registry.json", "-o", "k8s/ports.yaml"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "error[import-undecided]: port 9800 of `reporting` gets NodePort 32800 (9800 + 23000), \
             outside Kubernetes' NodePort range 30000-32767;"
        ),
        "{text}"
    );
    assert!(text.contains("--> port-registry.json:3:44\n"), "{text}");
    // The new registry's own finding on it is not said a second time.
    assert!(!text.contains("error[invalid-node-port]"), "{text}");
    assert!(
        text.ends_with(
            "2 services, 1 environment; 1 error; \
             k8s/ports.yaml was not written: decide the errors above by hand (fix \
             port-registry.json and import again, or pass --force to write k8s/ports.yaml and \
             edit it)\n"
        ),
        "{text}"
    );
    assert!(!dir.path().join("k8s").exists());

    // --force writes it for editing by hand; it still exits 1, and check agrees.
    let output = portolan(dir.path())
        .args([
            "import",
            "port-registry.json",
            "-o",
            "k8s/ports.yaml",
            "--force",
        ])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.ends_with(
            "wrote k8s/ports.yaml: 2 services, 1 environment; 1 error\nfix the \
             errors above in k8s/ports.yaml by hand, then run `portolan check -f k8s/ports.yaml`\n"
        ),
        "{text}"
    );
    let written = std::fs::read_to_string(dir.path().join("k8s/ports.yaml")).unwrap();
    assert!(written.contains("# This file does not validate yet; decide by hand:\n"));
    let output = portolan(dir.path())
        .args(["check", "-f", "k8s/ports.yaml", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("error[invalid-node-port]"));

    // A lower offset brings every NodePort into Kubernetes' range; the
    // NodePort range is the blocks of 1000 that hold them.
    let output = portolan(dir.path())
        .args([
            "import",
            "port-registry.json",
            "-o",
            "other.yaml",
            "--node-port-offset",
            "22000",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let written = std::fs::read_to_string(dir.path().join("other.yaml")).unwrap();
    assert!(
        written.contains("    node_ports:\n      range: 30000-31999\n      offset: 22000\n"),
        "{written}"
    );
    // Or the range is given, and what falls outside it is named.
    let output = portolan(dir.path())
        .args([
            "import",
            "port-registry.json",
            "-o",
            "third.yaml",
            "--node-port-offset",
            "22000",
            "--node-port-range",
            "30000-30999",
        ])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "port 9800 of `reporting` gets NodePort 31800 (9800 + 22000), outside the NodePort \
             range 30000-30999; move the service into 8000-8999"
        ),
        "{text}"
    );
    let output = portolan(dir.path())
        .args([
            "import",
            "port-registry.json",
            "--node-port-range",
            "20000-20999",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--node-port-range 20000-20999 leaves Kubernetes' NodePort range"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_duplicate_port_exits_1_naming_both_services_once() {
    let dir = dir_with("port-registry.json", RERP_DUPLICATE);
    let output = portolan(dir.path())
        .args(["import", "port-registry.json"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "error[import-undecided]: port 8002 is also assigned to `invoice`; one of them must \
             move: decide which by hand\n --> port-registry.json:2:61\n"
        ),
        "{text}"
    );
    // Said once: the new registry's port and NodePort conflicts are this one.
    assert_eq!(text.matches("error[").count(), 1, "{text}");
    assert!(!dir.path().join("ports.yaml").exists());
}

#[test]
fn sources_that_cannot_be_read_exit_2() {
    let dir = dir_with("notes.yaml", "todo: [a, b]\n");
    let output = portolan(dir.path())
        .args(["import", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: cannot read missing.json: "));

    let output = portolan(dir.path())
        .args(["import", "notes.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: notes.yaml: cannot tell the format"),
        "{}",
        stderr(&output)
    );

    let output = portolan(dir.path())
        .args(["import", "notes.yaml", "--format", "rerp"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: notes.yaml: not valid JSON: "));

    let output = portolan(dir.path())
        .args(["import", "notes.yaml", "-o", "notes.yaml", "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is the file being imported"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.yaml")).unwrap(),
        "todo: [a, b]\n"
    );

    let output = portolan(dir.path())
        .args(["import", "notes.yaml", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn standard_input_can_be_imported() {
    let dir = tempfile::tempdir().unwrap();
    let output = portolan(dir.path())
        .args(["import", "-", "-o", "rerp.yaml", "--format", "rerp"])
        .write_stdin(RERP)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).ends_with("next: `portolan sync -f rerp.yaml` renders generated/, then `portolan check -f rerp.yaml`\n"));
    let output = portolan(dir.path())
        .args(["check", "-f", "rerp.yaml", "--format", "short"])
        .output()
        .unwrap();
    assert!(
        stdout(&output).starts_with("rerp.yaml: ok\n"),
        "{}",
        stdout(&output)
    );
}

/// An entry that cannot be imported fails the import; `--partial` writes the
/// rest. A quoted port is converted with a warning, and both are counted.
#[test]
fn dropped_entries_fail_the_import_unless_partial() {
    let dir = dir_with(
        "port-registry.json",
        "{\n  \"assignments\": {\n    \"general-ledger\": 8001,\n    \"ledger\": \"8002\",\n    \"invoice\": 70000\n  }\n}\n",
    );
    let output = portolan(dir.path())
        .args(["import", "port-registry.json"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "warning[import-converted]: the port is written as a string (\"8002\"); imported as the \
             number 8002."
        ) && text.contains(" --> port-registry.json:4:5\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "error[not-imported]: 70000 is not a port (an integer from 1 to 65535); not imported\n --> port-registry.json:5:5\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            "2 services, 1 environment; 1 entry not imported, 1 value converted; 1 error; ports.yaml was not \
             written: 1 entry of port-registry.json is not imported (above): fix port-registry.json \
             and import again, or pass --partial to write the rest\n"
        ),
        "{text}"
    );
    assert!(!dir.path().join("ports.yaml").exists());
    // --force lifts the other gates, not this one.
    let output = portolan(dir.path())
        .args(["import", "port-registry.json", "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(!dir.path().join("ports.yaml").exists());
    let output = portolan(dir.path())
        .args(["import", "port-registry.json", "--partial"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "wrote ports.yaml: 2 services, 1 environment; 1 entry not imported, 1 value converted; 1 error\n"
        ),
        "{text}"
    );
}

/// 2,000 services: the NodePort range follows the data (here with an offset
/// that keeps every NodePort in Kubernetes' range), no `--force` needed.
#[test]
fn a_two_thousand_service_registry_imports_and_checks() {
    let assignments: Vec<String> = (0..2000)
        .map(|i| format!("    \"service-{i:04}\": {}", 8001 + i))
        .collect();
    let json = format!(
        "{{\n  \"next_port\": 10001,\n  \"assignments\": {{\n{}\n  }}\n}}\n",
        assignments.join(",\n")
    );
    let dir = dir_with("port-registry.json", &json);
    let output = portolan(dir.path())
        .args([
            "import",
            "port-registry.json",
            "--project",
            "big",
            "--node-port-offset",
            "22000",
        ])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("with NodePorts of port + 22000 in 30000-32767"),
        "{text}"
    );
    let written = std::fs::read_to_string(dir.path().join("ports.yaml")).unwrap();
    assert!(written.contains("      range: 30000-32767\n"), "{written}");
    let output = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert!(
        stdout(&output).starts_with("ports.yaml: ok"),
        "{}",
        stdout(&output)
    );
}

/// The README's import run is this binary's real output on the README's source.
#[test]
fn the_readme_import_run_is_real() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let after = readme
        .split_once("A run on this `config/ports.yaml`:\n\n```yaml\n")
        .expect("the README shows an import run")
        .1;
    let (source, rest) = after.split_once("```\n").unwrap();
    let run = rest
        .split_once("$ portolan import config/ports.yaml\n")
        .unwrap()
        .1
        .split_once("```\n")
        .unwrap()
        .0;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/ports.yaml"), source).unwrap();
    let output = portolan(dir.path())
        .args(["import", "config/ports.yaml"])
        .output()
        .unwrap();
    assert_eq!(stdout(&output), run);
    assert_eq!(output.status.code(), Some(1));
}

/// Import proposes the `sync:` entries of the repository it sits in: each
/// value that repeats an imported port, with file:line:column; a value it
/// cannot own by key is listed, not proposed; an entry a sync could not keep
/// is left out. The result passes `check` after one `sync`.
#[test]
fn import_proposes_the_sync_entries_of_its_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "scripts/port-registry.json",
        "{ \"assignments\": { \"billing\": 8001, \"ledger\": 8002, \"invoice\": { \"port\": 8003, \"node_port\": 31003 } } }\n",
    );
    write(
        "billing/Dockerfile",
        "FROM python:3.12\nEXPOSE 8001\nCMD [\"gunicorn\", \"app:app\", \"--bind\", \"0.0.0.0:8001\"]\n",
    );
    write(
        "billing/.env",
        "export BILLING_PORT=8001\nLEDGER_PORT=8002\nWORKERS=4\n",
    );
    write(
        "billing/package.json",
        "{\n  \"config\": { \"port\": 8001, \"ports\": \"8001:8001\" }\n}\n",
    );
    write(
        "helm/invoice.yaml",
        "service:\n  type: NodePort\n  port: 8003\n  nodePort: 31003\nreplicas: 8001\n",
    );
    // Read two ways: not a file a sync can keep.
    write("helm/broken.yaml", "port: 8002\nport: 8002\n");
    write("node_modules/x/config.json", "{ \"port\": 8001 }\n");
    let out = portolan(root)
        .args(["import", "scripts/port-registry.json", "--project", "shop"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for line in [
        "billing/.env:1:21: `BILLING_PORT` holds 8001, the port of `billing api` (cluster): proposed as `{{ port('billing', 'api') }}`\n",
        "billing/Dockerfile:2:8: `EXPOSE (\\d+)` holds 8001, the port of `billing api` (cluster): proposed as `{{ port('billing', 'api') }}`\n",
        "billing/package.json:2:23: `config.ports` holds 8001, the port of `billing api` (cluster) inside a longer value; not proposed: own it with a line pattern (`format: text`)\n",
        "helm/invoice.yaml:4:13: `service.nodePort` holds 31003, the NodePort of `invoice api` (cluster): proposed as `{{ node_port('invoice', 'api') }}`\n",
        "proposed 7 owned values in `sync:`; review them, then `portolan check`\n",
    ] {
        assert!(text.contains(line), "{line}\nin:\n{text}");
    }
    assert!(
        text.contains("helm/broken.yaml:1:7: `port` holds 8002, the port of `ledger api` (cluster); not proposed: "),
        "{text}"
    );
    assert!(!text.contains("node_modules"), "{text}");
    assert!(!text.contains("replicas"), "{text}");
    let written = std::fs::read_to_string(root.join("ports.yaml")).unwrap();
    assert!(
        written.ends_with(
            "sync:\n  - file: billing/.env\n    values:\n      BILLING_PORT: \"{{ port('billing', 'api') }}\"\n      LEDGER_PORT: \"{{ port('ledger', 'api') }}\"\n  - file: billing/Dockerfile\n    format: text\n    values:\n      'EXPOSE (\\d+)': \"{{ port('billing', 'api') }}\"\n      'CMD \\[\"gunicorn\", \"app:app\", \"\\-\\-bind\", \"0\\.0\\.0\\.0:(\\d+)\"\\]': \"{{ port('billing', 'api') }}\"\n  - file: billing/package.json\n    values:\n      config.port: \"{{ port('billing', 'api') }}\"\n  - file: helm/invoice.yaml\n    values:\n      service.port: \"{{ port('invoice', 'api') }}\"\n      service.nodePort: \"{{ node_port('invoice', 'api') }}\"\n"
        ),
        "{written}"
    );
    // Owning the values changes nothing in the team's files.
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    assert!(!stdout(&sync).contains("updated "), "{}", stdout(&sync));
    // What was listed and not proposed is what `check` still names.
    let check = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    assert!(
        stdout(&check).contains(
            "billing/package.json:2:38: `config.ports` repeats 8001, the port of `billing api` (cluster), by hand inside a longer value: own it with a line pattern"
        ),
        "{}",
        stdout(&check)
    );
    assert_eq!(
        stdout(&check).matches("repeat").count(),
        2,
        "{}",
        stdout(&check)
    );
    // --no-sync searches nothing; --dry-run writes nothing.
    let out = portolan(root)
        .args([
            "import",
            "scripts/port-registry.json",
            "--no-sync",
            "--dry-run",
            "-o",
            "other.yaml",
        ])
        .output()
        .unwrap();
    assert!(!stdout(&out).contains("sync:"), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("(dry run: other.yaml was not written)\n"));
    assert!(!root.join("other.yaml").exists());
}

/// Names come from the imported file: an escape sequence in one is printed
/// escaped, never sent to the terminal.
#[test]
fn control_characters_in_names_are_printed_escaped() {
    let dir = dir_with(
        "port-registry.json",
        "{ \"assignments\": { \"evil\\u001b[2J\\u0007x\": 8001, \"ok\": 8002 } }\n",
    );
    let output = portolan(dir.path())
        .args(["import", "port-registry.json", "--dry-run"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}
