//! The committed artifacts and examples match the registries, as `portolan
//! check` would say. Outside CI a stale file is rewritten (then the test fails
//! so the change gets reviewed and committed); in CI it only fails.

use portolan::{Source, sync};
use std::path::Path;

fn assert_in_sync(registry: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(registry);
    let source = Source::read(&path).unwrap();
    let report = portolan::check(&source);
    let valid = report
        .valid_registry()
        .unwrap_or_else(|| panic!("{registry} has errors; run `cargo ports check`"));
    let plan = sync::plan(&source, valid).unwrap_or_else(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("cannot sync {registry}:\n{}", lines.join("\n"))
    });
    if plan.is_clean() {
        return;
    }
    let drift = plan.drift().join("\n");
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if in_ci {
        panic!(
            "{drift}\nout of date: run `cargo ports sync -f {registry}` (or `cargo test`) and commit"
        );
    }
    plan.apply(
        &sync::Lock::acquire(source.path()).unwrap(),
        sync::Permit::default(),
    )
    .unwrap();
    panic!("{drift}\nupdated these files from {registry}: review and commit them");
}

#[test]
fn generated_files_and_examples_match_ports_yaml() {
    assert_in_sync("ports.yaml");
}

#[test]
fn rerp_example_matches_its_registry() {
    assert_in_sync("examples/rerp/ports.yaml");
}
