//! Properties over generated registries, each against a simple oracle:
//! validate reports a conflict exactly when two host ports collide; the
//! allocator returns a free, unreserved, in-range port, deterministically;
//! rendered artifacts parse back to the registry's ports; a sync is
//! idempotent and leaves nothing for check to report.

use portolan::allocate::{self, Request};
use portolan::{Code, Source, check, render, sync};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Services with named ports on one environment, `dev: 8000-8099`.
#[derive(Clone, Debug)]
struct Gen {
    services: Vec<Vec<u16>>,
    reserved: BTreeSet<u16>,
}

impl Gen {
    fn yaml(&self) -> String {
        let mut s = String::from("project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n");
        if !self.reserved.is_empty() {
            s.push_str("reserved:\n");
            for p in &self.reserved {
                s.push_str(&format!("  - {{ port: {p}, reason: taken }}\n"));
            }
        }
        if !self.services.is_empty() {
            s.push_str("services:\n");
            for (i, ports) in self.services.iter().enumerate() {
                s.push_str(&format!("  s{i}:\n    ports:\n"));
                for (j, p) in ports.iter().enumerate() {
                    s.push_str(&format!("      p{j}: {p}\n"));
                }
            }
        }
        s
    }

    fn all_ports(&self) -> Vec<u16> {
        self.services.iter().flatten().copied().collect()
    }
}

/// Ports from a small window so collisions are common.
fn colliding() -> impl Strategy<Value = Gen> {
    (
        proptest::collection::vec(proptest::collection::vec(8000u16..8012, 1..4), 0..6),
        Just(BTreeSet::new()),
    )
        .prop_map(|(services, reserved)| Gen { services, reserved })
}

/// Distinct ports and reserved ports, all in the range.
fn distinct() -> impl Strategy<Value = Gen> {
    (
        proptest::collection::btree_set(8000u16..8100, 0..60),
        proptest::collection::btree_set(8000u16..8100, 0..40),
        1usize..4,
    )
        .prop_map(|(used, reserved, per)| {
            let used: Vec<u16> = used.into_iter().filter(|p| !reserved.contains(p)).collect();
            Gen {
                services: used.chunks(per).map(<[u16]>::to_vec).collect(),
                reserved,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_conflict_is_reported_exactly_when_two_ports_collide(g in colliding()) {
        let yaml = g.yaml();
        let report = check(&Source::new("ports.yaml", yaml.as_str()));
        let ports = g.all_ports();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        let collisions = ports.len() - distinct.len();
        let conflicts = report.diagnostics.iter().filter(|d| d.code == Code::PortConflict).count();
        // One finding per port beyond the first holder.
        prop_assert_eq!(conflicts, collisions, "{}", yaml);
        let others: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && d.code != Code::PortConflict)
            .map(|d| d.message.clone())
            .collect();
        prop_assert!(others.is_empty(), "{others:?}\n{yaml}");
    }

    #[test]
    fn the_allocator_returns_a_free_port_deterministically(g in distinct()) {
        let yaml = g.yaml();
        let source = Source::new("ports.yaml", yaml.as_str());
        let report = check(&source);
        let registry = report.valid_registry();
        prop_assert!(registry.is_some(), "{:?}\n{}", report.diagnostics, yaml);
        let registry = registry.unwrap();
        let request = Request { service: "fresh".into(), name: "api".into(), ..Request::default() };
        let first = allocate::assign(&source, registry, &request);
        let again = allocate::assign(&source, registry, &request);
        prop_assert_eq!(&first, &again, "deterministic");
        let used: BTreeSet<u16> = g.all_ports().into_iter().collect();
        let free: Vec<u16> = (8000..8100).filter(|p| !used.contains(p) && !g.reserved.contains(p)).collect();
        match first {
            Ok(edited) => {
                prop_assert_eq!(edited.ports.len(), 1);
                let port = edited.ports[0].port;
                prop_assert_eq!(Some(&port), free.first(), "the lowest free port");
                // The new text is a valid registry holding it.
                let after = check(&Source::new("ports.yaml", edited.text.as_str()));
                prop_assert!(after.is_ok(), "{:?}\n{}", after.diagnostics, edited.text);
            }
            Err(refusal) => prop_assert!(free.is_empty(), "refused with free ports {free:?}: {refusal}"),
        }
    }

    #[test]
    fn rendered_artifacts_parse_back_to_the_registry(g in distinct()) {
        let yaml = g.yaml();
        let source = Source::new("ports.yaml", yaml.as_str());
        let report = check(&source);
        let registry = report.valid_registry().unwrap();
        let files = render::artifacts(registry);
        let by_path: BTreeMap<&str, &str> =
            files.iter().map(|f| (f.path.as_str(), f.contents.as_str())).collect();
        let json: serde_json::Value = serde_json::from_str(by_path["generated/ports.json"]).unwrap();
        let mut from_json: Vec<(String, String, u64)> = json["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["service"].as_str().unwrap().to_owned(), p["name"].as_str().unwrap().to_owned(), p["port"].as_u64().unwrap()))
            .collect();
        let mut expected: Vec<(String, String, u64)> = g
            .services
            .iter()
            .enumerate()
            .flat_map(|(i, ports)| ports.iter().enumerate().map(move |(j, p)| (format!("s{i}"), format!("p{j}"), u64::from(*p))))
            .collect();
        from_json.sort();
        expected.sort();
        prop_assert_eq!(from_json, expected.clone());
        let env: BTreeMap<String, String> = dotenvy::from_read_iter(by_path["generated/dev.env"].as_bytes())
            .map(|kv| kv.unwrap())
            .collect();
        for (service, name, port) in &expected {
            let key = format!("{}_{}_PORT", service.to_uppercase(), name.to_uppercase());
            prop_assert_eq!(env.get(&key).cloned(), Some(port.to_string()), "{}", key);
        }
    }
}

proptest! {
    // Each case writes a directory: fewer cases.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sync_is_idempotent_and_check_after_it_is_clean(g in distinct(), team in "[a-rt-z][a-z]{0,5}: [a-z0-9]{0,6}( *# [ -~]{0,10})?") {
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = g.yaml();
        yaml.push_str("sync:\n  - file: team/{service}.yaml\n    values: { server.port: \"{{ port(service, 'p0') }}\" }\n");
        let path = dir.path().join("ports.yaml");
        std::fs::write(&path, &yaml).unwrap();
        std::fs::create_dir(dir.path().join("team")).unwrap();
        for i in 0..g.services.len() {
            std::fs::write(dir.path().join(format!("team/s{i}.yaml")), format!("{team}\n")).unwrap();
        }
        let source = Source::read(&path).unwrap();
        let report = check(&source);
        let registry = report.valid_registry().unwrap();
        let plan = sync::plan(&source, registry).unwrap();
        plan.apply().unwrap();
        let again = sync::plan(&source, registry).unwrap();
        prop_assert!(again.is_clean(), "{:?}", again.drift());
        let before: Vec<Vec<u8>> = (0..g.services.len()).map(|i| std::fs::read(dir.path().join(format!("team/s{i}.yaml"))).unwrap()).collect();
        again.apply().unwrap();
        for (i, bytes) in before.iter().enumerate() {
            let now = std::fs::read(dir.path().join(format!("team/s{i}.yaml"))).unwrap();
            prop_assert_eq!(&now, bytes);
            // The team's own line is still there, the port after it.
            let text = String::from_utf8(now).unwrap();
            prop_assert!(text.starts_with(&format!("{team}\n")), "{}", text);
        }
    }
}
