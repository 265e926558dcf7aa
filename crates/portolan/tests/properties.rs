//! Properties over generated registries, each against a simple oracle:
//! validate reports a conflict exactly when two host ports collide; the
//! allocator returns the lowest offset free in every range, deterministically,
//! and refuses exactly when there is none;
//! rendered artifacts parse back to the registry's ports; a sync is
//! idempotent and leaves nothing for check to report.

use portolan::allocate::{self, Request};
use portolan::{Code, Source, check, render, sync};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use yaml_rust2::{Yaml, YamlLoader};

/// The one document in `text`, as yaml-rust2 reads it.
fn independent(text: &str) -> Yaml {
    let docs = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(docs.len(), 1, "{text}");
    docs.into_iter().next().unwrap()
}

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

/// What one offset of an environment's range holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Free,
    Held,
    Reserved,
}

/// `dev: 8000-8099` and, when `test` is set, `test: 9000-9099`: every offset
/// of each range free, held by a service, or reserved.
#[derive(Clone, Debug)]
struct Occupancy {
    dev: Vec<Slot>,
    test: Option<Vec<Slot>>,
}

impl Occupancy {
    fn yaml(&self) -> String {
        let mut s = String::from("project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n");
        if self.test.is_some() {
            s.push_str("  test: { range: 9000-9099 }\n");
        }
        let envs: Vec<(&str, u16, &[Slot])> = std::iter::once(("dev", 8000, self.dev.as_slice()))
            .chain(self.test.as_deref().map(|t| ("test", 9000, t)))
            .collect();
        let mut reserved = String::new();
        let mut held = Vec::new();
        for (name, start, slots) in &envs {
            let at = |want: Slot| {
                slots
                    .iter()
                    .enumerate()
                    .filter(move |(_, s)| **s == want)
                    .map(move |(o, _)| start + o as u16)
            };
            for port in at(Slot::Reserved) {
                reserved.push_str(&format!("  - {{ port: {port}, reason: taken }}\n"));
            }
            held.push((*name, at(Slot::Held).collect::<Vec<u16>>()));
        }
        if !reserved.is_empty() {
            s.push_str("reserved:\n");
            s.push_str(&reserved);
        }
        let mut services = Vec::new();
        if let [(_, dev), (_, test)] = held.as_slice() {
            // Held in both ranges: one port per environment.
            let both = dev.len().min(test.len());
            for (i, (d, t)) in dev.iter().zip(test).enumerate() {
                services.push(format!(
                    "  both{i}: {{ ports: {{ api: {{ dev: {d}, test: {t} }} }} }}\n"
                ));
            }
            for (name, ports) in &held {
                for (i, p) in ports[both..].iter().enumerate() {
                    services.push(format!(
                        "  {name}{i}: {{ environments: [{name}], ports: {{ api: {p} }} }}\n"
                    ));
                }
            }
        } else {
            for (i, p) in held[0].1.iter().enumerate() {
                services.push(format!("  s{i}: {{ ports: {{ api: {p} }} }}\n"));
            }
        }
        if !services.is_empty() {
            s.push_str("services:\n");
            s.extend(services);
        }
        s
    }

    /// The lowest offset free in every range, straight from the slots.
    fn lowest_common_free(&self) -> Option<u16> {
        (0..100u16).find(|&o| {
            let free = |slots: &[Slot]| slots[usize::from(o)] == Slot::Free;
            free(&self.dev) && self.test.as_deref().is_none_or(free)
        })
    }
}

/// Ranges that are mostly free, and ranges full but for a few offsets, so the
/// allocator refuses (no offset free everywhere) about as often as it succeeds.
fn occupancy() -> impl Strategy<Value = Occupancy> {
    let sparse = proptest::collection::vec(
        prop_oneof![3 => Just(Slot::Free), 1 => Just(Slot::Held), 1 => Just(Slot::Reserved)],
        100,
    );
    let taken =
        || proptest::collection::vec(prop_oneof![Just(Slot::Held), Just(Slot::Reserved)], 100);
    let holes = || proptest::collection::btree_set(0usize..100, 0..=2);
    let dense = (
        taken(),
        taken(),
        holes(),
        holes(),
        // An offset free in both ranges, sometimes the first or the last.
        proptest::option::of(prop_oneof![Just(0usize), Just(99), 0usize..100]),
    )
        .prop_map(|(mut dev, mut test, dev_holes, test_holes, common)| {
            for o in dev_holes.into_iter().chain(common) {
                dev[o] = Slot::Free;
            }
            for o in test_holes.into_iter().chain(common) {
                test[o] = Slot::Free;
            }
            (dev, test)
        });
    (prop_oneof![(sparse.clone(), sparse), dense], any::<bool>()).prop_map(|((dev, test), two)| {
        Occupancy {
            dev,
            test: two.then_some(test),
        }
    })
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
    fn the_allocator_refuses_exactly_when_no_offset_is_free_everywhere(o in occupancy()) {
        let yaml = o.yaml();
        let source = Source::new("ports.yaml", yaml.as_str());
        let report = check(&source);
        let registry = report.valid_registry();
        prop_assert!(registry.is_some(), "{:?}\n{}", report.diagnostics, yaml);
        let registry = registry.unwrap();
        let request = Request { service: "fresh".into(), name: "api".into(), ..Request::default() };
        let first = allocate::assign(&source, registry, &request);
        let again = allocate::assign(&source, registry, &request);
        prop_assert_eq!(&first, &again, "deterministic");
        match (first, o.lowest_common_free()) {
            (Ok(edited), Some(offset)) => {
                let mut want = vec![("dev".to_owned(), 8000 + offset)];
                if o.test.is_some() {
                    want.push(("test".to_owned(), 9000 + offset));
                }
                let got: Vec<(String, u16)> =
                    edited.ports.iter().map(|p| (p.environment.clone(), p.port)).collect();
                prop_assert_eq!(&got, &want, "the lowest offset free in every range\n{}", yaml);
                // The new text is a valid registry holding it.
                let after = check(&Source::new("ports.yaml", edited.text.as_str()));
                prop_assert!(after.is_ok(), "{:?}\n{}", after.diagnostics, edited.text);
                let fresh = after.valid_registry().unwrap().service("fresh").map(|s| {
                    s.ports.iter().flat_map(|p| &p.assignments).map(|a| a.port.get()).collect::<Vec<u16>>()
                });
                prop_assert_eq!(fresh, Some(want.iter().map(|w| w.1).collect()), "{}", edited.text);
            }
            (Err(_), None) => {}
            (Ok(edited), None) => prop_assert!(false, "no offset is free everywhere, yet assigned {:?}\n{}", edited.ports, yaml),
            (Err(refusal), Some(offset)) => prop_assert!(false, "offset {offset} is free everywhere, yet refused: {refusal}\n{}", yaml),
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

    // The team's line may end in a comment, which YAML starts only after a
    // space (`a: 0# :` is not valid YAML, so no editor could keep it).
    #[test]
    fn sync_is_idempotent_and_check_after_it_is_clean(g in distinct(), team in "[a-rt-z][a-z]{0,5}: [a-z0-9]{0,6}( +# [ -~]{0,10})?") {
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
        plan.apply(&sync::Lock::acquire(source.path()).unwrap(), sync::Permit::default()).unwrap();
        for (i, ports) in g.services.iter().enumerate() {
            // Read by a parser Portolan does not use: the port must be an
            // integer under server.port (a quoted "8001" is a string).
            let text = std::fs::read_to_string(dir.path().join(format!("team/s{i}.yaml"))).unwrap();
            let doc = independent(&text);
            let mut want = yaml_rust2::yaml::Hash::new();
            want.insert(Yaml::String("port".into()), Yaml::Integer(i64::from(ports[0])));
            prop_assert_eq!(&doc["server"], &Yaml::Hash(want), "{}", text);
        }
        let again = sync::plan(&source, registry).unwrap();
        prop_assert!(again.is_clean(), "{:?}", again.drift());
        let before: Vec<Vec<u8>> = (0..g.services.len()).map(|i| std::fs::read(dir.path().join(format!("team/s{i}.yaml"))).unwrap()).collect();
        again.apply(&sync::Lock::acquire(source.path()).unwrap(), sync::Permit::default()).unwrap();
        for (i, bytes) in before.iter().enumerate() {
            let now = std::fs::read(dir.path().join(format!("team/s{i}.yaml"))).unwrap();
            prop_assert_eq!(&now, bytes);
            // The team's own line is still there, the port after it.
            let text = String::from_utf8(now).unwrap();
            prop_assert!(text.starts_with(&format!("{team}\n")), "{}", text);
        }
    }
}
