//! `portolan import`: registries in the Lumiere and RERP styles, written for
//! this suite, converted to ports.yaml, with the problems they hide reported.

use portolan::import::{Format, ImportError, Imported, Options, Problem, ProblemKind, import};
use portolan::model::Protocol;
use portolan::{Code, Source, check};

/// A Lumiere registry with nothing wrong: 3 environments, 3 services, URLs
/// that agree, and infrastructure with a 5433:5432 mapping.
const LUMIERE: &str = r#"# Lumiere ports: the source of truth for scripts/update_ports.py
project: lumiere
environments:
  production:
    pourtier:
      description: User Management API
      api_port: 8000
      api_mapping: "8000:8000"
      metrics_port: 8090
      health_port: 8091
    courier:
      description: Event Bus (WebSocket)
      api_port: 8765
      metrics_port: 8790
      health_port: 8791
    passeur:
      description: Blockchain Bridge
      api_port: 8766
      bridge_port: 8768
      health_port: 8793
    service_discovery:
      courier_url: http://courier:8765
      passeur_url: http://passeur:8766
  development:
    pourtier:
      api_port: 9000
      api_mapping: "9000:9000"
      metrics_port: 9090
      health_port: 9091
    courier:
      api_port: 9765
      metrics_port: 9790
      health_port: 9791
    passeur:
      api_port: 9766
      bridge_port: 9768
      health_port: 9793
    service_discovery:
      courier_url: http://courier:9765
      passeur_url: http://passeur:9766
  test:
    pourtier:
      api_port: 7000
      api_mapping: "7000:7000"
      metrics_port: 7090
      health_port: 7091
    courier:
      api_port: 7765
      metrics_port: 7790
      health_port: 7791
    passeur:
      api_port: 7766
      bridge_port: 7768
      health_port: 7793
    service_discovery:
      courier_url: http://courier:7765
      passeur_url: http://passeur:7766
infrastructure:
  postgres: { port: 5432, description: Database }
  postgres-test: { mapping: "5433:5432", description: Test database }
  redis: { port: 6379, description: Cache }
  influxdb: { port: 8086, description: Time-series database }
  pypi: 9001
"#;

const LUMIERE_IMPORTED: &str = r#"# Imported from config/ports.yaml by portolan import; review the notes below.
#
# Notes:
# - service_discovery URLs are not copied: Portolan derives `http://<service>:<container port>`
#   (`url()` in sync, `*_URL` in generated/<environment>.env)
# - environments: the source states no ranges; each environment got the block of 1000 ports that
#   holds most of its ports, and its other ports one by one (production 8000-8999, development
#   9000-9999, test 7000-7999); narrow them to what you allocate from
project: lumiere

environments:
  production:
    range: 8000-8999
  development:
    range: 9000-9999
  test:
    range: 7000-7999

services:
  pourtier:
    description: User Management API
    ports:
      api:     { production: 8000, development: 9000, test: 7000 }
      metrics: { production: 8090, development: 9090, test: 7090 }
      health:  { production: 8091, development: 9091, test: 7091 }
  courier:
    description: Event Bus (WebSocket)
    ports:
      api:     { production: 8765, development: 9765, test: 7765 }
      metrics: { production: 8790, development: 9790, test: 7790 }
      health:  { production: 8791, development: 9791, test: 7791 }
  passeur:
    description: Blockchain Bridge
    ports:
      api:    { production: 8766, development: 9766, test: 7766 }
      bridge: { production: 8768, development: 9768, test: 7768 }
      health: { production: 8793, development: 9793, test: 7793 }

# Shared by every environment.
infrastructure:
  range: [5432-5433, 6379, 8086, 9001]
  services:
    postgres:      { port: 5432, description: Database }
    postgres-test: { port: 5433, container_port: 5432, description: Test database }
    redis:         { port: 6379, description: Cache }
    influxdb:      { port: 8086, description: Time-series database }
    pypi:          { port: 9001 }
"#;

/// A RERP registry with nothing wrong, in both assignment shapes.
const RERP: &str = r#"{
  "version": "1.0",
  "next_port": 8004,
  "reserved_ports": [8080, {"range": "30000-30999", "reason": "NodePorts of the PriceWhisperer cluster"}],
  "assignments": {
    "general-ledger": 8001,
    "invoice": {"port": 8002, "node_port": 31002, "description": "Invoicing"},
    "accounts-receivable": {"port": 8003, "description": "Accounts receivable"}
  },
  "metadata": {
    "description": "Port registry for RERP microservices",
    "last_updated": "2026-01-23T10:00:00"
  }
}
"#;

const RERP_IMPORTED: &str = r#"# Imported from scripts/port-registry.json by portolan import; review the notes below.
# Port registry for RERP microservices
#
# Notes:
# - the source names no project; used `rerp` (pass --project to choose another)
# - next_port: 8004 is not copied: `portolan assign` picks the lowest free port in the range itself
# - environment `cluster`: range 8001-8099 (the lowest assigned port to the end of its hundred) with
#   NodePorts of port + 23000 in 31000-31999
project: rerp

environments:
  cluster:
    range: 8001-8099
    node_ports:
      range: 31000-31999
      offset: 23000

reserved:
  - port: 8080
    reason: reserved in port-registry.json
  - range: 30000-30999
    reason: NodePorts of the PriceWhisperer cluster

services:
  general-ledger:
    ports:
      api: 8001
  invoice:
    description: Invoicing
    ports:
      api: 8002
  accounts-receivable:
    description: Accounts receivable
    ports:
      api: 8003
"#;

fn options(source: &str) -> Options {
    Options {
        source_name: Some(source.to_owned()),
        ..Options::default()
    }
}

#[track_caller]
fn imported(text: &str, source: &str) -> Imported {
    import(text, Format::Auto, &options(source)).unwrap_or_else(|e| panic!("{e}"))
}

/// `(location, message)` of each problem, for exact comparison.
fn problems(imported: &Imported) -> Vec<(String, String)> {
    imported
        .problems
        .iter()
        .map(|p| (p.location.clone().unwrap_or_default(), p.message.clone()))
        .collect()
}

fn error_codes(imported: &Imported) -> Vec<Code> {
    imported
        .report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

#[test]
fn a_clean_lumiere_registry_becomes_a_valid_ports_yaml() {
    let out = imported(LUMIERE, "config/ports.yaml");
    assert_eq!(out.format, Format::Lumiere);
    assert_eq!(out.problems, Vec::<Problem>::new());
    assert_eq!(out.yaml, LUMIERE_IMPORTED);
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
    assert!(check(&Source::new("ports.yaml", out.yaml.as_str())).is_ok());
    assert_eq!(
        (out.services, out.environments, out.infrastructure),
        (3, 3, 5)
    );
    let registry = out.report.registry.expect("loaded");
    let test_db = registry
        .infrastructure
        .services
        .iter()
        .find(|s| s.name.as_str() == "postgres-test")
        .expect("postgres-test");
    assert_eq!(
        (test_db.port.get(), test_db.container_port.get()),
        (5433, 5432)
    );
}

#[test]
fn lumiere_mappings_and_urls_that_disagree_are_reported() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { api_port: 8765, api_mapping: "8765:8765" }
    pourtier: { api_port: 8000, api_mapping: "8000:80" }
    service_discovery:
      courier_url: http://courier:8765
      pourtier_url: http://pourtier:80
  test:
    courier:
      api_port: 7765
      api_mapping: "7766:7765"
    pourtier: { api_port: 7000, api_mapping: "7000:80" }
    service_discovery:
      courier_url: http://courier:7766
      pourtier_url: http://pourtier:7000
"#;
    let out = imported(source, "ports.yaml");
    assert_eq!(
        problems(&out),
        [
            (
                "environments.test.service_discovery.courier_url".to_owned(),
                "http://courier:7766 uses port 7766 (that is its host port; Docker DNS reaches the \
                 container port), but `courier.api` listens on 7765 in test; Portolan derives the \
                 URL from the port (http://courier:7765), so fix the configs that still use 7766"
                    .to_owned()
            ),
            (
                "environments.test.service_discovery.pourtier_url".to_owned(),
                "http://pourtier:7000 uses port 7000 (that is its host port; Docker DNS reaches the \
                 container port), but `pourtier.api` listens on 80 in test; Portolan derives the URL \
                 from the port (http://pourtier:80), so fix the configs that still use 7000"
                    .to_owned()
            ),
        ]
    );
    // `api_port: 7765` is the container side of "7766:7765": host:container.
    assert!(out.notes.iter().any(|n| n.location.as_deref()
        == Some("environments.test.courier.api_port")
        && n.message
            == "`api_port: 7765` is the container side of `api_mapping: \"7766:7765\"`; imported as host port 7766 with container_port 7765"));
    // The problems head the file, and what was imported still validates.
    assert!(out.yaml.contains(
        "# Problems found in ports.yaml:\n# - environments.test.service_discovery.courier_url:"
    ));
    assert!(out.yaml.contains(
        "      api: { production: { port: 8000, container_port: 80 }, test: { port: 7000, container_port: 80 } }\n"
    ));
    assert!(
        out.yaml.contains(
            "      api: { production: 8765, test: { port: 7766, container_port: 7765 } }\n"
        )
    );
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
}

#[test]
fn a_duplicate_lumiere_port_is_reported_and_left_to_decide() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { api_port: 8765 }
    passeur: { api_port: 8766, bridge_port: 8765 }
  test:
    courier: { api_port: 7765 }
    passeur: { api_port: 7766, bridge_port: 7768 }
infrastructure:
  postgres: 5432
"#;
    let out = imported(source, "ports.yaml");
    assert_eq!(
        problems(&out),
        [(
            "environments.production.passeur.bridge_port".to_owned(),
            "port 8765 of `passeur.bridge` in production is also used by `courier.api` in production \
             (line 4); Portolan's environments share one host unless one names its own `host:`, so \
             one of them must move, or give an environment its own `host:` in ports.yaml"
                .to_owned()
        )]
    );
    assert!(!out.is_valid());
    assert_eq!(error_codes(&out), [Code::PortConflict]);
    // Said once: at its source line, not again as the new registry's conflict.
    assert_eq!(out.proposed_findings().count(), 0);
    assert!(out.yaml.contains(
        "# This file does not validate yet; decide by hand:\n# - error[port-conflict]: port 8765 of `passeur.bridge`"
    ));
}

#[test]
fn lumiere_environments_whose_blocks_overlap_get_the_span_of_their_ports() {
    let source = "environments:\n  blue: { web: { api_port: 8000 }, db: { api_port: 8010 } }\n  green: { web: { api_port: 8500 }, db: { api_port: 8510 } }\n";
    let out = imported(source, "ports.yaml");
    assert!(
        out.yaml
            .contains("  blue:\n    range: 8000-8010\n  green:\n    range: 8500-8510\n")
    );
    assert_eq!(
        problems(&out),
        [(
            "environments".to_owned(),
            "the ports of several environments share blocks of 1000 ports, so each got the span of \
             its own ports (blue 8000-8010, green 8500-8510); widen them by hand so each has room \
             for new services"
                .to_owned()
        )]
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n.message.contains("used `lumiere`"))
    );
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
}

#[test]
fn lumiere_stated_ranges_partial_services_and_missing_ports() {
    let source = r#"project: demo
environments:
  production:
    range: 8000-8799
    web: { api_port: 8000, metrics_port: 8001, description: "Web: the front door" }
    worker: { api_port: 8100 }
  test:
    range: 7000-7799
    web: { api_port: 7000 }
"#;
    let out = imported(source, "ports.yaml");
    assert!(out.yaml.contains("  production:\n    range: 8000-8799\n"));
    assert!(out.yaml.contains(
        "  web:\n    description: \"Web: the front door\"\n    ports:\n      api:     { production: 8000, test: 7000 }\n      metrics: { production: 8001 }\n"
    ));
    assert!(out.yaml.contains(
        "  worker:\n    environments: [production]\n    ports:\n      api: { production: 8100 }\n"
    ));
    // web.metrics has no test port: the validation says so, with the line.
    assert_eq!(error_codes(&out), [Code::MissingEnvironment]);
}

#[test]
fn a_clean_rerp_registry_becomes_a_valid_ports_yaml() {
    let out = imported(RERP, "scripts/port-registry.json");
    assert_eq!(out.format, Format::Rerp);
    assert_eq!(out.problems, Vec::<Problem>::new());
    assert_eq!(out.yaml, RERP_IMPORTED);
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
    assert_eq!((out.services, out.environments), (3, 1));
    let registry = out.report.registry.expect("loaded");
    let mut node_ports: Vec<u16> = registry
        .bindings()
        .filter_map(|b| b.node_port.map(|p| p.get()))
        .collect();
    node_ports.sort_unstable();
    assert_eq!(node_ports, [31001, 31002, 31003]);
}

#[test]
fn a_duplicate_rerp_port_is_reported_and_left_to_decide() {
    let source = r#"{
  "next_port": 8003,
  "reserved_ports": [8080],
  "assignments": { "general-ledger": 8001, "invoice": 8002, "accounts-receivable": 8002 }
}"#;
    let out = imported(source, "port-registry.json");
    assert_eq!(
        problems(&out),
        [(
            "assignments.accounts-receivable".to_owned(),
            "port 8002 is also assigned to `invoice`; one of them must move: decide which by hand"
                .to_owned()
        )]
    );
    assert!(!out.is_valid());
    assert_eq!(
        error_codes(&out),
        [Code::PortConflict, Code::NodePortConflict]
    );
}

#[test]
fn a_rerp_node_port_outside_kubernetes_range_is_reported() {
    let source = r#"{
  "next_port": 9801,
  "reserved_ports": [8080],
  "assignments": {
    "general-ledger": 8001,
    "reporting": { "port": 9800, "description": "Reports" }
  }
}"#;
    let out = imported(source, "port-registry.json");
    assert_eq!(
        problems(&out),
        [(
            "assignments.reporting".to_owned(),
            "port 9800 of `reporting` gets NodePort 32800 (9800 + 23000), outside Kubernetes' \
             NodePort range 30000-32767; move the service to a lower port or choose another \
             --node-port-offset"
                .to_owned()
        )]
    );
    assert!(!out.is_valid());
    assert_eq!(error_codes(&out), [Code::InvalidNodePort]);
}

#[test]
fn rerp_hidden_problems_are_reported() {
    // A stale next_port, a NodePort that is not port + offset, a reserved
    // port assigned, and a key written twice (the later one is what Python read).
    let source = r#"{
  "next_port": 8002,
  "reserved_ports": [8080],
  "assignments": {
    "general-ledger": { "port": 8001, "node_port": 30801 },
    "invoice": 8002,
    "billing": 8080,
    "invoice": 8003
  }
}"#;
    let out = imported(source, "port-registry.json");
    assert_eq!(
        problems(&out),
        [
            (
                "assignments.invoice".to_owned(),
                "`invoice` appears twice (8002, then 8003); the later one wins, as for the tools that \
                 read this file, and is imported"
                    .to_owned()
            ),
            (
                "assignments.general-ledger.node_port".to_owned(),
                "is 30801, but port + offset gives 31001 (8001 + 23000); Portolan computes NodePorts \
                 as port + offset, so the import uses 31001: update what still uses 30801 (`portolan \
                 sync` rewrites the Helm values and kind config)"
                    .to_owned()
            ),
            (
                "assignments.billing".to_owned(),
                "port 8080 is assigned, but port 8080 is reserved in reserved_ports; move it"
                    .to_owned()
            ),
        ]
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n.location.as_deref() == Some("next_port"))
    );
    assert_eq!(error_codes(&out), [Code::ReservedPort]);

    let stale = r#"{ "next_port": 8002, "assignments": { "a": 8001, "b": 8002 } }"#;
    let out = imported(stale, "port-registry.json");
    assert_eq!(
        problems(&out),
        [(
            "next_port".to_owned(),
            "is 8002, which is already assigned to `b`: the script would have handed it out twice; \
             Portolan keeps no counter, so this cannot happen again"
                .to_owned()
        )]
    );
    assert!(out.is_valid());
}

#[test]
fn the_node_port_offset_can_be_chosen_or_follows_the_source() {
    let source = r#"{ "assignments": { "a": 8001, "b": 8002 } }"#;
    let out = import(
        source,
        Format::Rerp,
        &Options {
            node_port_offset: Some(22000),
            project: Some("shop".to_owned()),
            ..Options::default()
        },
    )
    .unwrap();
    assert!(out.yaml.contains("project: shop\n"));
    assert!(
        out.yaml
            .contains("    node_ports:\n      range: 30000-30999\n      offset: 22000\n")
    );
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);

    // Every explicit node_port agrees on port + 22800: that is the offset.
    let source = r#"{ "assignments": { "a": { "port": 8001, "node_port": 30801 }, "b": { "port": 8002, "node_port": 30802 } } }"#;
    let out = imported(source, "port-registry.json");
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert!(out.yaml.contains("      offset: 22800\n"));
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);

    let err = import(
        source,
        Format::Rerp,
        &Options {
            node_port_offset: Some(70000),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Option(_)), "{err}");
}

#[test]
fn the_format_is_detected_or_the_error_says_which_to_pass() {
    assert_eq!(imported(LUMIERE, "x").format, Format::Lumiere);
    assert_eq!(imported(RERP, "x").format, Format::Rerp);
    let err = import("a: 1\n", Format::Auto, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("--format rerp"), "{err}");
    assert!(err.to_string().contains("--format lumiere"), "{err}");
    let err = import(
        "project: x\nenvironments:\n  a: { range: 1-2 }\nservices: {}\n",
        Format::Auto,
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("Portolan ports.yaml already"),
        "{err}"
    );
    let err = import("{ \"assignments\": ", Format::Auto, &Options::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Syntax {
                language: "JSON",
                ..
            }
        ),
        "{err}"
    );
    let err = import("environments: [", Format::Lumiere, &Options::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Syntax {
                language: "YAML",
                ..
            }
        ),
        "{err}"
    );
    let err = import("{}", Format::Rerp, &Options::default()).unwrap_err();
    assert!(matches!(err, ImportError::Shape(_)), "{err}");
    let err = import("environments: {}\n", Format::Lumiere, &Options::default()).unwrap_err();
    assert!(matches!(err, ImportError::Shape(_)), "{err}");
}

#[test]
fn bad_values_are_problems_not_panics() {
    let source = r#"environments:
  Production:
    web: { api_port: "8000", metrics_port: 70000, health_port: x, api_mapping: "nope" }
    service_discovery: { web_url: 12, other_url: "http://other:1" }
    logging: { level: debug }
infrastructure:
  redis: { description: Cache }
  "no way": 6379
"#;
    let out = imported(source, "ports.yaml");
    let found = problems(&out);
    let at = |loc: &str| found.iter().any(|(l, _)| l == loc);
    assert!(at("environments.Production.web.metrics_port"), "{found:?}");
    assert!(at("environments.Production.web.health_port"), "{found:?}");
    assert!(at("environments.Production.web.api_mapping"), "{found:?}");
    assert!(
        at("environments.Production.service_discovery.web_url"),
        "{found:?}"
    );
    assert!(
        at("environments.Production.service_discovery.other_url"),
        "{found:?}"
    );
    assert!(at("infrastructure.redis"), "{found:?}");
    assert!(
        out.notes
            .iter()
            .any(|n| n.message.contains("renamed to `production`"))
    );
    assert!(out.notes.iter().any(|n| {
        n.location.as_deref() == Some("environments.Production.logging")
            && n.message == "has no `*_port` or `*_mapping` keys; not imported"
    }));
    assert!(!out.yaml.contains("level"));
    assert!(
        out.yaml.contains("    no-way: { port: 6379 }\n"),
        "{}",
        out.yaml
    );
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any text, in any format: an error or an import, never a panic.
        #[test]
        fn on_any_text(text in "\\PC{0,200}") {
            for format in [Format::Auto, Format::Lumiere, Format::Rerp] {
                let _ = import(&text, format, &Options::default());
            }
        }

        /// Registries cut short or with a byte changed still import or fail cleanly.
        #[test]
        fn on_damaged_registries(cut in 0usize..2000, at in 0usize..2000, byte in "[ -~\n]") {
            for source in [LUMIERE, RERP] {
                let cut = cut.min(source.len());
                let mut text = source.as_bytes()[..cut].to_vec();
                if !text.is_empty() {
                    let i = at % text.len();
                    text[i] = byte.as_bytes()[0];
                }
                let text = String::from_utf8_lossy(&text);
                if let Ok(out) = import(&text, Format::Auto, &Options::default()) {
                    // Whatever was written can be read back.
                    prop_assert!(out.report.registry.is_some(), "{}", out.yaml);
                }
            }
        }
    }
}

#[test]
fn an_entry_the_reader_cannot_take_is_a_problem_not_a_silent_drop() {
    // A list used as a key: the entry is left out, and the import says so.
    let source = "environments:\n  dev:\n    web: { api_port: 8000, [a, b]: 8001 }\n";
    let imported = import(source, Format::Lumiere, &Options::default());
    let imported = match imported {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    };
    assert!(
        imported
            .problems
            .iter()
            .any(|p| p.location.as_deref() == Some("line 3")
                && p.message.ends_with("; not imported")),
        "{:?}",
        imported.problems
    );
}

/// `"host:container"`: a port key equal to the container side is the port
/// inside the container, and one equal to neither side is a stated choice.
#[test]
fn mappings_are_read_as_host_colon_container() {
    let source = r#"project: lumiere
environments:
  production:
    api: { port: 8000 }
    postgres: { port: 5432 }
  test:
    api: { port: 7000 }
    postgres:
      port: 5432
      mapping: "5433:5432"
    cache:
      port: 6379
      mapping: "6380:6381"
"#;
    let out = imported(source, "ports.yaml");
    assert!(
        out.yaml.contains(
            "      api: { production: 5432, test: { port: 5433, container_port: 5432 } }\n"
        ),
        "{}",
        out.yaml
    );
    // The test database goes into the test range on its own, not by widening it.
    assert!(
        out.yaml
            .contains("  test:\n    range: [5433, 6380, 7000-7999]\n"),
        "{}",
        out.yaml
    );
    assert_eq!(
        problems(&out),
        [(
            "environments.test.cache.mapping".to_owned(),
            "`mapping: \"6380:6381\"` publishes host port 6380 for container port 6381, but `port` \
             is 6379, neither side of it; imported the mapping (port 6380, container_port 6381), \
             which is what Docker publishes: check which one the service listens on"
                .to_owned()
        )]
    );
    let at = out.problems[0].span.expect("located");
    assert_eq!((at.line, at.column), (13, 7));
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
    // Nothing claims to have read what the import never reads.
    for p in out.problems.iter().chain(&out.notes) {
        assert!(!p.message.contains("configs"), "{}", p.message);
    }
}

/// Nothing that holds a port is lost without a problem that fails the import.
#[test]
fn ports_in_unexpected_keys_are_not_imported_loudly() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { port: 8000, api_port: 8001 }
    postgres: { host_port: 5433, container_port: 5432 }
    passeur: { api_port: 8002, api_prot: 8003, admin: 8004, grpc_ports: [8005] }
    pourtier: { ports: { api: 8006 } }
    lone: 9000
  staging:
"#;
    let out = imported(source, "ports.yaml");
    let dropped: Vec<(String, String)> = out
        .problems
        .iter()
        .filter(|p| p.kind == portolan::import::ProblemKind::Dropped)
        .map(|p| (p.location.clone().unwrap_or_default(), p.message.clone()))
        .collect();
    let at: Vec<&str> = dropped.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        at,
        [
            "environments.production.courier.api_port",
            "environments.production.passeur.api_prot",
            "environments.production.passeur.admin",
            "environments.production.passeur.grpc_ports",
            "environments.production.pourtier.ports",
            "environments.production.lone",
        ],
        "{dropped:#?}"
    );
    assert_eq!(
        dropped[0].1,
        "`api_port` names the same port of `api` as `port` (line 4); imported 8001, and `port: 8000` is not imported: keep one of them"
    );
    assert!(!out.is_complete());
    // host_port and container_port are two sides of one port.
    assert!(
        out.yaml
            .contains("    ports:\n      api: { port: 5433, container_port: 5432 }\n"),
        "{}",
        out.yaml
    );
    // An empty environment is one without services, not a problem.
    assert!(
        out.notes
            .iter()
            .any(|n| n.location.as_deref() == Some("environments.staging"))
    );
}

/// A key written twice that hides a mapping loses data: not imported.
#[test]
fn a_repeated_environment_block_is_not_imported_silently() {
    let source = "project: p\nenvironments:\n  test:\n    a: { api_port: 7000 }\n  test:\n    b: { api_port: 7001 }\n";
    let out = imported(source, "ports.yaml");
    assert!(!out.is_complete());
    let p = &out.problems[0];
    assert_eq!(p.location.as_deref(), Some("environments.test"));
    assert!(
        p.message.contains("the earlier one is not imported"),
        "{}",
        p.message
    );
    assert_eq!(p.span.map(|s| s.line), Some(5));
}

/// A reserved entry with both `port` and `range` reserves both; quoted ports
/// and NodePorts are converted with a warning.
#[test]
fn rerp_reserved_entries_and_quoted_values_are_kept() {
    let json = r#"{
  "reserved_ports": [{"port": "8080", "range": "8090-8095"}],
  "assignments": { "a": 8001, "f": {"port": 8092, "node_port": "31092"} }
}"#;
    let out = imported(json, "port-registry.json");
    assert!(out.yaml.contains("  - port: 8080\n"), "{}", out.yaml);
    assert!(out.yaml.contains("  - range: 8090-8095\n"), "{}", out.yaml);
    // The service inside the reserved range: said once, at its source line.
    assert_eq!(error_codes(&out), [Code::ReservedPort]);
    assert_eq!(out.proposed_findings().count(), 0);
    assert!(
        out.problems.iter().any(|p| p
            .message
            .contains("port 8092 is assigned, but ports 8090-8095 are reserved")),
        "{:#?}",
        out.problems
    );
    assert_eq!(out.converted(), 2, "{:#?}", out.problems);
}

/// `/udp` in a mapping is `protocol: udp` and an address before it is
/// `bind:`, on service ports and infrastructure alike; `0.0.0.0` and `/tcp`
/// are the defaults, and a TCP port beside a UDP one on the same number is
/// no conflict.
#[test]
fn mappings_give_the_protocol_and_the_bind_address() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { api_port: 8765, statsd_mapping: "8125:8125/udp" }
    resolver: { dns_mapping: "[::1]:8053:53/udp" }
  test:
    courier: { api_port: 7765, statsd_mapping: "7125:8125/udp" }
    resolver: { dns_mapping: "[::1]:7053:53/udp" }
infrastructure:
  postgres: { port: 5432, description: Database }
  postgres-test: { mapping: "127.0.0.1:5433:5432", description: Test database }
  statsd: { mapping: "0.0.0.0:8126:8125/udp", description: StatsD metrics }
  dns: { mapping: "[::1]:5353:53/udp" }
  relay: { mapping: "8125:8125/tcp" }
"#;
    let out = imported(source, "ports.yaml");
    assert_eq!(out.problems, Vec::<Problem>::new());
    assert_eq!(
        out.yaml,
        r#"# Imported from ports.yaml by portolan import; review the notes below.
#
# Notes:
# - environments: the source states no ranges; each environment got the block of 1000 ports that
#   holds most of its ports, and its other ports one by one (production 8000-8999, test 7000-7999);
#   narrow them to what you allocate from
project: lumiere

environments:
  production:
    range: 8000-8999
  test:
    range: 7000-7999

services:
  courier:
    ports:
      api:    { production: 8765, test: 7765 }
      statsd: { production: 8125, test: { port: 7125, container_port: 8125 }, protocol: udp }
  resolver:
    ports:
      dns: { production: { port: 8053, container_port: 53 }, test: { port: 7053, container_port: 53 }, protocol: udp, bind: "::1" }

# Shared by every environment.
infrastructure:
  range: [5353, 5432-5433, 8125-8126]
  services:
    postgres:      { port: 5432, description: Database }
    postgres-test: { port: 5433, container_port: 5432, bind: 127.0.0.1, description: Test database }
    statsd:        { port: 8126, container_port: 8125, protocol: udp, description: StatsD metrics }
    dns:           { port: 5353, container_port: 53, protocol: udp, bind: "::1" }
    relay:         { port: 8125 }
"#
    );
    // What was written reads back as meant.
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
    assert!(check(&Source::new("ports.yaml", out.yaml.as_str())).is_ok());
    let registry = out.report.registry.expect("loaded");
    // The bindings that are not TCP on every address.
    let published: Vec<(u16, Protocol, Option<String>)> = registry
        .bindings()
        .map(|b| (b.port.get(), b.protocol, b.bind.map(|b| b.addr.to_string())))
        .filter(|(_, protocol, bind)| *protocol != Protocol::Tcp || bind.is_some())
        .collect();
    let mut owners: Vec<(u16, Protocol, Option<&str>)> = published
        .iter()
        .map(|(port, protocol, bind)| (*port, *protocol, bind.as_deref()))
        .collect();
    owners.sort_unstable();
    assert_eq!(
        owners,
        [
            (5353, Protocol::Udp, Some("::1")),
            (5433, Protocol::Tcp, Some("127.0.0.1")),
            (7053, Protocol::Udp, Some("::1")),
            (7125, Protocol::Udp, None),
            (8053, Protocol::Udp, Some("::1")),
            (8125, Protocol::Udp, None),
            (8126, Protocol::Udp, None),
        ],
        "{published:?}"
    );

    // One environment: the attributes sit beside `port:`.
    let source = "project: p\nenvironments:\n  dev:\n    metrics: { api_port: 8000, statsd_mapping: \"8125:8125/udp\", db_mapping: \"127.0.0.1:8432:5432\" }\n";
    let out = imported(source, "ports.yaml");
    assert!(
        out.yaml.contains(
            "    ports:\n      api:    8000\n      statsd: { port: 8125, protocol: udp }\n      db:     { port: 8432, container_port: 5432, bind: 127.0.0.1 }\n"
        ),
        "{}",
        out.yaml
    );
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
}

/// A named port has one `protocol:` and one `bind:`: the first environment's
/// is imported, and each environment that says otherwise is a choice located
/// at the key that says it.
#[test]
fn environments_that_disagree_on_protocol_or_bind_address_are_a_stated_choice() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { api_port: 8765, statsd_mapping: "8125:8125/udp", db_mapping: "8432:5432" }
  development:
    courier: { api_port: 9765, statsd_port: 9125, db_mapping: "[::1]:9432:5432/udp" }
  test:
    courier: { api_port: 7765, statsd_mapping: "7125:8125/tcp", db_mapping: "127.0.0.1:7432:5432" }
"#;
    let out = imported(source, "ports.yaml");
    assert_eq!(
        problems(&out),
        [
            (
                "environments.development.courier.statsd_port".to_owned(),
                "`statsd_port: 9125` has no mapping, so it is tcp in development, but \
                 `courier.statsd` is udp in production (line 4); ports.yaml gives a named port one \
                 `protocol:`, so the import keeps the first (udp): if development really uses tcp, \
                 give that port a name of its own"
                    .to_owned()
            ),
            (
                "environments.development.courier.db_mapping".to_owned(),
                "`db_mapping: \"[::1]:9432:5432/udp\"` is udp in development, but `courier.db` is \
                 tcp in production (line 4); ports.yaml gives a named port one `protocol:`, so the \
                 import keeps the first (tcp): if development really uses udp, give that port a \
                 name of its own"
                    .to_owned()
            ),
            (
                "environments.development.courier.db_mapping".to_owned(),
                "`db_mapping: \"[::1]:9432:5432/udp\"` is bound to ::1 in development, but \
                 `courier.db` is published on every address in production (line 4); ports.yaml \
                 gives a named port one `bind:`, so the import keeps the first (published on every \
                 address): check which address development needs"
                    .to_owned()
            ),
            (
                "environments.test.courier.statsd_mapping".to_owned(),
                "`statsd_mapping: \"7125:8125\"` is tcp in test, but `courier.statsd` is udp in \
                 production (line 4); ports.yaml gives a named port one `protocol:`, so the import \
                 keeps the first (udp): if test really uses tcp, give that port a name of its own"
                    .to_owned()
            ),
            (
                "environments.test.courier.db_mapping".to_owned(),
                "`db_mapping: \"127.0.0.1:7432:5432\"` is bound to 127.0.0.1 in test, but \
                 `courier.db` is published on every address in production (line 4); ports.yaml \
                 gives a named port one `bind:`, so the import keeps the first (published on every \
                 address): check which address test needs"
                    .to_owned()
            ),
        ]
    );
    // Warnings, each at its key: the import still succeeds.
    assert!(out.problems.iter().all(|p| p.kind == ProblemKind::Decided));
    let at: Vec<(u32, u32)> = out
        .problems
        .iter()
        .map(|p| p.span.map(|s| (s.line, s.column)).expect("located"))
        .collect();
    assert_eq!(at, [(6, 32), (6, 51), (6, 51), (8, 32), (8, 65)]);
    let findings = out.source_findings(&Source::new("ports.yaml", source));
    assert!(findings.iter().all(|d| d.code == Code::ImportChoice));
    assert!(
        out.yaml.contains(
            "      statsd: { production: 8125, development: 9125, test: { port: 7125, container_port: 8125 }, protocol: udp }\n"
        ),
        "{}",
        out.yaml
    );
    assert!(
        out.yaml.contains(
            "      db:     { production: { port: 8432, container_port: 5432 }, development: { port: 9432, container_port: 5432 }, test: { port: 7432, container_port: 5432 } }\n"
        ),
        "{}",
        out.yaml
    );
    assert!(out.is_valid(), "{:?}", out.report.diagnostics);
}

/// A transport ports.yaml cannot say, or a bind address that is no IP
/// address, is an unreadable mapping: located, and not imported.
#[test]
fn a_mapping_with_another_transport_or_no_ip_address_is_not_imported() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { api_port: 8765, sig_mapping: "8766:8766/sctp", db_mapping: "localhost:5433:5432" }
    passeur: { api_port: 8768, sig: "8769:8769/sctp" }
infrastructure:
  dns: { mapping: "[::1:53:53/udp" }
"#;
    let out = imported(source, "ports.yaml");
    assert_eq!(
        problems(&out),
        [
            (
                "environments.production.courier.sig_mapping".to_owned(),
                "\"8766:8766/sctp\" publishes over `sctp`, which ports.yaml cannot say (its ports \
                 are tcp or udp); not imported"
                    .to_owned()
            ),
            (
                "environments.production.courier.db_mapping".to_owned(),
                "\"localhost:5433:5432\" binds to `localhost`, which is not an IP address; not \
                 imported"
                    .to_owned()
            ),
            (
                "environments.production.passeur.sig".to_owned(),
                "holds \"8769:8769/sctp\" but is not a `<name>_port` or `<name>_mapping` key; not \
                 imported: rename it (`sig_port`)"
                    .to_owned()
            ),
            (
                "infrastructure.dns.mapping".to_owned(),
                "\"[::1:53:53/udp\" is not a \"host:container\" port mapping; not imported"
                    .to_owned()
            ),
            (
                "infrastructure.dns".to_owned(),
                "has no port; not imported".to_owned()
            ),
        ]
    );
    assert_eq!(out.dropped(), 5);
    assert!(out.problems.iter().all(|p| p.span.is_some()));
}

/// Two holders of one number conflict only within a transport, and the
/// conflict is said once, at its source line, with the transport.
#[test]
fn a_udp_port_two_entries_hold_is_left_to_decide() {
    let source = r#"project: lumiere
environments:
  production:
    courier: { api_port: 8125, statsd_mapping: "8126:8125/udp" }
infrastructure:
  statsd: { mapping: "8126:8125/udp" }
"#;
    let out = imported(source, "ports.yaml");
    assert_eq!(
        problems(&out),
        [(
            "infrastructure.statsd.mapping".to_owned(),
            "port 8126/udp of infrastructure `statsd` is also used by `courier.statsd` in \
             production (line 4); Portolan's environments share one host unless one names its own \
             `host:`, so one of them must move, or give an environment its own `host:` in ports.yaml"
                .to_owned()
        )]
    );
    assert_eq!(error_codes(&out), [Code::PortConflict]);
    assert_eq!(out.proposed_findings().count(), 0);
}
