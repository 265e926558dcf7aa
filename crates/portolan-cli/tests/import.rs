//! `portolan import`: exit codes, what it prints, when it writes, and that
//! what it writes passes `portolan check`.

use super::{portolan, stderr, stdout};

/// A Lumiere registry whose test courier mapping and discovery URL disagree
/// with its port; everything else is sound.
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
    courier: { api_port: 7765, api_mapping: "7766:7765", health_port: 7791 }
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
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "old-ports.yaml: environments.test.courier.api_mapping: \"7766:7765\" publishes host port \
             7766, but api_port is 7765; imported 7765 (the port the services' configs use) without \
             the mapping: decide which is right and fix the other by hand",
            "old-ports.yaml: environments.test.service_discovery.courier_url: http://courier:7767 uses \
             port 7767, but `courier.api` listens on 7765 in test; Portolan derives the URL from the \
             port (http://courier:7765), so fix the configs that still use 7767",
        ]
    );
    assert!(
        text.contains("old-ports.yaml: note: service_discovery URLs are not copied"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "wrote ports.yaml (3 services, 3 environments, 2 infrastructure entries)\nnext: portolan check\n"
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
        "port-registry.json: next_port: note: 8004 is not copied: `portolan assign` picks the lowest \
         free port in the range itself\n\
         port-registry.json: note: environment `cluster`: range 8001-8099 (the lowest assigned port \
         to the end of its hundred) with NodePorts of port + 23000 in 31000-31999\n\
         wrote ports.yaml (3 services, 1 environment)\n\
         next: portolan check\n"
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
fn a_node_port_out_of_range_is_explained_and_nothing_is_written() {
    let dir = dir_with("port-registry.json", RERP_NODE_PORT_OUT_OF_RANGE);
    let output = portolan(dir.path())
        .args(["import", "port-registry.json", "-o", "k8s/ports.yaml"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "port-registry.json: assignments.reporting: port 9800 of `reporting` gets NodePort 32800 \
             (9800 + 23000), outside Kubernetes' NodePort range 30000-32767;"
        ),
        "{text}"
    );
    assert!(
        text.contains("k8s/ports.yaml:")
            && text.contains("error[invalid-node-port]: NodePort 32800"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "k8s/ports.yaml: 1 error; k8s/ports.yaml was not written: decide the errors above by hand \
             (fix port-registry.json and import again, or pass --force to write k8s/ports.yaml and edit it)\n"
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
            "wrote k8s/ports.yaml (2 services, 1 environment)\nk8s/ports.yaml: 1 error: fix the errors \
             above in k8s/ports.yaml by hand, then run `portolan check -f k8s/ports.yaml`\n"
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

    // No offset fixes it: the NodePorts are the thousand holding the lowest
    // port (8000-8999) plus the offset, so 9800's is outside them whatever the
    // offset; the service itself has to move.
    for (offset, reason) in [
        (
            "22000",
            "port 9800 of `reporting` gets NodePort 31800 (9800 + 22000), outside the NodePort \
             range 30000-30999; move the service into 8000-8999",
        ),
        (
            "22700",
            "port 9800 of `reporting` gets NodePort 32500 (9800 + 22700), outside the NodePort \
             range 30700-31699; move the service into 8000-8999",
        ),
    ] {
        let output = portolan(dir.path())
            .args([
                "import",
                "port-registry.json",
                "-o",
                "other.yaml",
                "--node-port-offset",
                offset,
            ])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "--node-port-offset {offset}: {text}"
        );
        assert!(text.contains(reason), "--node-port-offset {offset}: {text}");
        assert!(
            !dir.path().join("other.yaml").exists(),
            "--node-port-offset {offset}"
        );
    }
}

#[test]
fn a_duplicate_port_exits_1_naming_both_services() {
    let dir = dir_with("port-registry.json", RERP_DUPLICATE);
    let output = portolan(dir.path())
        .args(["import", "port-registry.json"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.starts_with(
        "port-registry.json: assignments.accounts-receivable: port 8002 is also assigned to `invoice`; \
         one of them must move: decide which by hand\n"
    ));
    assert!(text.contains("error[port-conflict]"), "{text}");
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
    assert!(stdout(&output).ends_with("next: portolan check -f rerp.yaml\n"));
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
