//! `portolan assign`, `release`, `list`, `query` and `doctor` on copies of the
//! repository's registries.

use super::{REPO, copy_tree, portolan, stderr, stdout};
use std::path::Path;

/// A directory holding a copy of `registry` as ports.yaml.
fn copy_of(registry: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(REPO).join(registry),
        dir.path().join("ports.yaml"),
    )
    .unwrap();
    dir
}

fn read(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("ports.yaml")).unwrap()
}

/// `after` is `before` with lines inserted and nothing else changed: every
/// original line is still there, in order, byte for byte.
#[track_caller]
fn only_added(before: &str, after: &str) -> Vec<String> {
    let mut added = Vec::new();
    let mut old = before.split_inclusive('\n').peekable();
    for line in after.split_inclusive('\n') {
        if old.peek() == Some(&line) {
            old.next();
        } else {
            added.push(line.to_owned());
        }
    }
    assert_eq!(old.next(), None, "an original line was changed or removed");
    added
}

fn valid(dir: &Path) {
    let check = portolan(dir)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    let out = stdout(&check);
    assert!(out.lines().any(|l| l == "ports.yaml: ok"), "{out}");
}

#[test]
fn assign_picks_one_offset_free_in_every_environment() {
    let dir = copy_of("ports.yaml");
    let before = read(dir.path());
    let out = portolan(dir.path())
        .args(["assign", "billing", "--description", "Billing API"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Offset 1 is taken by pypi's 9001 in development: 2 is the lowest free everywhere.
    assert!(
        stdout(&out)
            .starts_with("assigned billing.api: production 8002, development 9002, test 7002\n"),
        "{}",
        stdout(&out)
    );
    let after = read(dir.path());
    assert_eq!(
        only_added(&before, &after),
        [
            "  billing:\n",
            "    description: Billing API\n",
            "    ports:\n",
            "      api: { production: 8002, development: 9002, test: 7002 }\n"
        ]
    );
    valid(dir.path());

    // A second named port goes under the service's ports, in the same style.
    let out = portolan(dir.path())
        .args(["assign", "billing", "--name", "metrics"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        only_added(&after, &read(dir.path())),
        ["      metrics: { production: 8003, development: 9003, test: 7003 }\n"]
    );

    // Releasing everything gives back the original bytes.
    for args in [
        ["release", "billing", "--name", "metrics"].as_slice(),
        &["release", "billing"],
    ] {
        let out = portolan(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert_eq!(read(dir.path()), before);
}

#[test]
fn an_existing_port_is_refused_unless_forced() {
    let dir = copy_of("ports.yaml");
    let before = read(dir.path());
    let out = portolan(dir.path())
        .args(["assign", "courier"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: `courier.api` already has a port (8765 in production, 9765 in development, 7765 in test); pass --force to move it\n"
    );
    assert_eq!(read(dir.path()), before);

    let out = portolan(dir.path())
        .args(["assign", "courier", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().take(2).collect::<Vec<_>>(),
        [
            "assigned courier.api: production 8002, development 9002, test 7002",
            "  (was production 8765, development 9765, test 7765)"
        ]
    );
    let after = read(dir.path());
    // The scheme the entry says stays.
    assert!(
        after.contains(
            "      api:     { production: 8002, development: 9002, test: 7002, scheme: ws }\n"
        ),
        "{after}"
    );
    assert_eq!(after.lines().count(), before.lines().count());
    valid(dir.path());
}

#[test]
fn rerp_fills_its_range_skipping_the_reserved_port_then_refuses() {
    let dir = copy_of("examples/rerp/ports.yaml");
    let mut assigned = Vec::new();
    loop {
        let name = format!("svc{}", assigned.len());
        let out = portolan(dir.path())
            .args(["assign", &name])
            .output()
            .unwrap();
        if out.status.code() != Some(0) {
            assert_eq!(out.status.code(), Some(1));
            assert_eq!(
                stderr(&out),
                format!(
                    "error: no free port for `{name}.api`: its range is full (cluster 8001-8099); widen a range (`environments.<name>.range`) or release a service\n"
                )
            );
            // A port outside 1-65535 is a usage error, 0 included.
            for bad in ["0", "70000"] {
                let out = portolan(dir.path())
                    .args(["assign", &name, "--port", bad])
                    .output()
                    .unwrap();
                assert_eq!(out.status.code(), Some(2), "--port {bad}");
                assert!(
                    stderr(&out).contains(&format!(
                        "invalid value '{bad}' for '--port <[ENV=]N>': `{bad}` is not a port number (1-65535)"
                    )),
                    "{}",
                    stderr(&out)
                );
            }
            break;
        }
        let line = stdout(&out).lines().next().unwrap().to_owned();
        let port: u16 = line
            .split("cluster ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            line.ends_with(&format!("(NodePort {})", port + 23000)),
            "{line}"
        );
        assigned.push(port);
        assert!(assigned.len() < 200, "never ends");
    }
    // 8001-8099 minus the three services and the reserved 8080.
    assert_eq!(assigned.len(), 99 - 3 - 1);
    assert!(!assigned.contains(&8080));
    assert_eq!(assigned[0], 8004);
    valid(dir.path());
    let before = read(dir.path());
    let out = portolan(dir.path())
        .args(["assign", "one-more"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(read(dir.path()), before, "a refused assign writes nothing");

    // Releasing a service frees its port for the next one.
    let out = portolan(dir.path())
        .args(["release", "invoice"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = portolan(dir.path())
        .args(["assign", "billing"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).starts_with("assigned billing.api: cluster 8002 (NodePort 31002)\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_given_port_is_used_or_its_holder_named() {
    let dir = copy_of("examples/rerp/ports.yaml");
    let out = portolan(dir.path())
        .args(["assign", "billing", "--port", "8002"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: port 8002 cannot be assigned: held by `invoice.api` in cluster\n"
    );
    let out = portolan(dir.path())
        .args(["assign", "billing", "--port", "8080"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&out),
        "error: port 8080 cannot be assigned: reserved (conflicts with many local tools)\n"
    );
    let out = portolan(dir.path())
        .args(["assign", "billing", "--port", "8050"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(read(dir.path()).contains("  billing:\n    ports:\n      api: 8050\n"));
}

#[test]
fn a_given_port_is_per_environment_when_there_are_several() {
    let multi = copy_of("ports.yaml");
    let before = read(multi.path());
    let refused = |args: &[&str]| {
        let out = portolan(multi.path())
            .args(["assign", "billing"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            read(multi.path()),
            before,
            "a refused assign writes nothing"
        );
        stderr(&out)
    };
    assert_eq!(
        refused(&["--port", "8050"]),
        "error: --port 8050: `billing` gets a port in 3 environments; say which, e.g. --port production=8050 --port development=8050 --port test=8050\n"
    );
    assert_eq!(
        refused(&["--port", "prod=8050"]),
        "error: --port prod=8050: `billing` does not run in an environment called `prod`; did you mean `production`? it runs in production, development, test\n"
    );
    // Environments share one host here, so one port cannot serve two of them.
    assert_eq!(
        refused(&["--port", "production=8050", "--port", "test=8050"]),
        "error: port 8050 cannot be assigned in test: outside test's range 7000-7799\n"
    );
    assert_eq!(
        refused(&["--port", "production=8000"]),
        "error: port 8000 cannot be assigned in production: held by `pourtier.api` in production\n"
    );
    // Given ports are used; the environments given none share the lowest free offset.
    let out = portolan(multi.path())
        .args([
            "assign",
            "billing",
            "--port",
            "production=8050",
            "--port",
            "test=7060",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().next().unwrap(),
        "assigned billing.api: production 8050, development 9002, test 7060"
    );
    assert!(
        read(multi.path()).contains("  billing:\n    ports:\n      api: { production: 8050, development: 9002, test: 7060 }\n"),
        "{}",
        read(multi.path())
    );
}

#[test]
fn unknown_names_are_refused_with_a_suggestion() {
    let dir = copy_of("ports.yaml");
    let before = read(dir.path());
    let out = portolan(dir.path())
        .args(["release", "courrier"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: no service `courrier` in ports.yaml; did you mean `courier`?\n"
    );
    let out = portolan(dir.path())
        .args(["release", "courier", "--name", "metric"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&out),
        "error: `courier` has no port `metric`; did you mean `metrics`?\n"
    );
    let out = portolan(dir.path())
        .args(["query", "courrier"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: no service `courrier`; did you mean `courier`?\n"
    );
    assert_eq!(read(dir.path()), before);
}

#[test]
fn parallel_assigns_hand_out_distinct_ports() {
    let dir = copy_of("examples/rerp/ports.yaml");
    let children: Vec<std::process::Child> = (0..16)
        .map(|i| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("portolan"))
                .args(["assign", &format!("worker{i}")])
                .current_dir(dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    valid(dir.path());
    let list = portolan(dir.path())
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&list)).unwrap();
    let workers: Vec<u64> = rows
        .iter()
        .filter(|r| r["service"].as_str().unwrap().starts_with("worker"))
        .map(|r| r["port"].as_u64().unwrap())
        .collect();
    assert_eq!(workers.len(), 16, "no entry lost");
    let mut distinct = workers.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, (8004..8020).collect::<Vec<u64>>());
}

#[test]
fn list_and_query_print_tables_and_json() {
    let dir = copy_of("examples/rerp/ports.yaml");
    let out = portolan(dir.path()).arg("list").output().unwrap();
    assert_eq!(
        stdout(&out),
        "SERVICE              NAME  ENVIRONMENT  PORT  CONTAINER  NODEPORT\n\
         accounts-receivable  api   cluster      8003  8003       31003\n\
         general-ledger       api   cluster      8001  8001       31001\n\
         invoice              api   cluster      8002  8002       31002\n\
         postgres             -     (all)        5432  5432       32432\n"
    );
    let out = portolan(dir.path())
        .args(["query", "invoice", "--format", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"service": "invoice", "name": "api", "environment": "cluster",
            "port": 8002, "container_port": 8002, "node_port": 31002, "protocol": "tcp", "bind": null, "port_end": null}])
    );

    let dir = copy_of("ports.yaml");
    let out = portolan(dir.path())
        .args(["list", "--env", "test", "--format", "json"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        rows.len(),
        11 + 6,
        "test's ports and the shared infrastructure"
    );
    assert!(
        rows.iter()
            .all(|r| r["environment"] == "test" || r["environment"].is_null())
    );
    let pg = rows
        .iter()
        .find(|r| r["service"] == "postgres-test")
        .unwrap();
    assert_eq!(
        pg,
        &serde_json::json!({"service": "postgres-test", "name": null, "environment": null,
            "port": 5433, "container_port": 5432, "node_port": null, "protocol": "tcp", "bind": "127.0.0.1", "port_end": null})
    );
    let out = portolan(dir.path())
        .args(["list", "--env", "staging"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: no environment `staging`; the environments are production, development, test\n"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn doctor_names_the_process_listening_on_a_configured_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        format!("project: demo\nenvironments:\n  dev: {{ range: 1-65535 }}\nservices:\n  web: {{ ports: {{ api: {port} }} }}\n"),
    )
    .unwrap();
    let out = portolan(dir.path()).arg("doctor").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // This test binary holds the socket; its name is not `web`.
    let me = std::fs::read_to_string("/proc/self/comm").unwrap();
    let expected = format!(
        "CONFLICT: tcp 127.0.0.1:{port} by {} (pid {})",
        me.trim(),
        std::process::id()
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.contains("1 ports: 1 in use, 1 held by a process that is not its service\n"),
        "{text}"
    );
    let strict = portolan(dir.path())
        .args(["doctor", "--strict"])
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
    drop(listener);
}

#[test]
fn release_with_sync_removes_artifacts_and_mappings_and_warns_about_team_files() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&Path::new(REPO).join("examples/rerp"), dir.path());
    let out = portolan(dir.path())
        .args(["release", "invoice", "--sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let kind = std::fs::read_to_string(dir.path().join("kind-config.yaml")).unwrap();
    assert!(!kind.contains("invoice"), "{kind}");
    assert!(kind.contains("# portolan: general-ledger api\n"));
    // The infrastructure's NodePort mapping and the team's own stay.
    assert!(
        kind.contains("      # portolan: postgres infrastructure\n      - containerPort: 32432\n")
    );
    assert!(kind.contains("      # Grafana.\n      - containerPort: 32300\n"));
    let env = std::fs::read_to_string(dir.path().join("generated/cluster.env")).unwrap();
    assert!(!env.contains("INVOICE"), "{env}");
    let values = dir
        .path()
        .join("helm/rerp-microservice/values/invoice.yaml");
    assert!(values.exists(), "team files are the team's");
    assert_eq!(
        stderr(&out),
        format!(
            "warning: {} still exists; it belongs to the team, so Portolan leaves it: delete it if `invoice` is gone for good\n",
            Path::new("helm/rerp-microservice/values/invoice.yaml").display()
        )
    );
    // `check` names the file of the service that is gone, until the team deletes it.
    let check = portolan(dir.path()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    assert_eq!(
        stdout(&check),
        "ports.yaml: ok\nhelm/rerp-microservice/values/invoice.yaml: belongs to service `invoice`, which ports.yaml no longer has; the ports it holds may be another service's now: delete it (Portolan leaves the team's files), or restore the service\n10 files up to date; 1 team file belongs to a service that is gone\n"
    );
    std::fs::remove_file(&values).unwrap();
    let check = portolan(dir.path()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    // Assigning with --sync creates the new service's Helm values (from the
    // chart's template) and kind mapping.
    let out = portolan(dir.path())
        .args(["assign", "billing", "--sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("created helm/rerp-microservice/values/billing.yaml\n"),
        "{}",
        stdout(&out)
    );
    let kind = std::fs::read_to_string(dir.path().join("kind-config.yaml")).unwrap();
    assert!(kind.contains("      # portolan: billing api\n      - containerPort: 31002\n        hostPort: 8002\n        protocol: TCP\n"), "{kind}");
    let billing = std::fs::read_to_string(
        dir.path()
            .join("helm/rerp-microservice/values/billing.yaml"),
    )
    .unwrap();
    assert!(
        billing.contains("image:\n  name: billing\n")
            && billing.contains("service:\n  type: NodePort\n  port: 8002\n  containerPort: 8002\n  nodePort: 31002\n"),
        "{billing}"
    );
}

#[test]
fn assign_follows_the_file_style() {
    let dir = tempfile::tempdir().unwrap();
    let block = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n  prod: { range: 9000-9099 }\n\nservices:\n  # The web front end.\n  web:\n    ports:\n      api:\n        dev: 8000\n        prod: 9000\n\n# Trailing comment.\n";
    std::fs::write(dir.path().join("ports.yaml"), block).unwrap();
    let out = portolan(dir.path())
        .args(["assign", "api-gateway"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        read(dir.path()),
        block.replace(
            "        prod: 9000\n",
            "        prod: 9000\n  api-gateway:\n    ports:\n      api:\n        dev: 8001\n        prod: 9001\n"
        )
    );

    let flow = "project: demo\nenvironments: { dev: { range: 8000-8099 } }\nservices: { web: { ports: { api: 8000 } } }\n";
    std::fs::write(dir.path().join("ports.yaml"), flow).unwrap();
    let out = portolan(dir.path())
        .args(["assign", "worker"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        read(dir.path()),
        "project: demo\nenvironments: { dev: { range: 8000-8099 } }\nservices: { web: { ports: { api: 8000 } }, worker: { ports: { api: 8001 } } }\n"
    );
    let out = portolan(dir.path())
        .args(["release", "web"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        read(dir.path()),
        "project: demo\nenvironments: { dev: { range: 8000-8099 } }\nservices: { worker: { ports: { api: 8001 } } }\n"
    );
}
