//! One test per validation rule: a registry that breaks it, the code, the
//! message, and the exact span, marked lalrpop-style with `~` under the line.

use portolan::{Code, Diagnostic, Severity, Source, check};

/// Checks `yaml` and returns its findings.
fn findings(yaml: &str) -> Vec<Diagnostic> {
    check(&Source::new("ports.yaml", yaml))
        .diagnostics
        .iter()
        .cloned()
        .collect()
}

/// Asserts a finding of `code` whose message contains `message` and whose
/// primary span is marked by `~` in `marker` under the line `line` of `yaml`.
#[track_caller]
fn expect(yaml: &str, code: Code, message: &str, line: &str, marker: &str) -> Diagnostic {
    let all = findings(yaml);
    let line_no = yaml
        .lines()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("line {line:?} is not in the registry"))
        + 1;
    let column = marker.find('~').expect("marker has no ~") + 1;
    let width = marker.matches('~').count();
    let found = all.iter().find(|d| {
        d.code == code
            && d.primary.span.line as usize == line_no
            && d.primary.span.column as usize == column
            && (d.primary.span.end - d.primary.span.start) as usize == width
            && d.message.contains(message)
    });
    match found {
        Some(d) => d.clone(),
        None => panic!(
            "no {code} at {line_no}:{column} (width {width}) containing {message:?}; found:\n{}",
            all.iter()
                .map(|d| format!(
                    "  {} {}:{} w{} {}",
                    d.code,
                    d.primary.span.line,
                    d.primary.span.column,
                    d.primary.span.end - d.primary.span.start,
                    d.message
                ))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn codes(yaml: &str) -> Vec<Code> {
    findings(yaml).iter().map(|d| d.code).collect()
}

const HEAD: &str = "project: demo\nenvironments:\n  production: { range: 8000-8799 }\n  test: { range: 7000-7799 }\n";

fn registry(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

#[test]
fn the_pinned_registries_are_valid() {
    for path in ["../../ports.yaml", "../../examples/rerp/ports.yaml"] {
        let full = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let source = Source::read(format!("{full}{path}")).unwrap();
        let report = check(&source);
        assert!(
            report.diagnostics.is_empty(),
            "{path}: {:?}",
            report.diagnostics
        );
    }
}

// Syntax, unknown keys, types, duplicates, port bounds.

#[test]
fn yaml_syntax_error_is_located() {
    let yaml = "project: demo\nenvironments:\n  production: { range: [8000-8799 }\n";
    let all = findings(yaml);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].code, Code::YamlSyntax);
    assert_eq!(all[0].primary.span.line, 3);
}

#[test]
fn tabs_get_a_hint() {
    let d = &findings("project: demo\nenvironments:\n\tproduction: 1\n")[0];
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(
        d.help.as_deref(),
        Some("YAML indents with spaces; replace the tab")
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    let yaml = registry(
        "services:\n  web:\n    descripton: Web\n    ports: { api: { production: 8001, test: 7001 } }\n",
    );
    let d = expect(
        &yaml,
        Code::UnknownKey,
        "unknown key `descripton` in service `web`",
        "    descripton: Web",
        "    ~~~~~~~~~~",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `description`?"));
}

#[test]
fn unknown_root_key_lists_what_is_expected() {
    let yaml = registry("zzz: 1\n");
    let d = expect(
        &yaml,
        Code::UnknownKey,
        "unknown key `zzz`",
        "zzz: 1",
        "~~~",
    );
    assert!(
        d.help
            .unwrap()
            .contains("project, environments, services, infrastructure, reserved")
    );
}

#[test]
fn duplicate_keys_at_every_level() {
    let yaml = "project: demo\nproject: again\nenvironments:\n  production: { range: 8000-8799, range: 8000-8100 }\n  production: { range: 9000-9100 }\nservices:\n  web:\n    ports:\n      api: 8001\n      api: 8002\n";
    let d = expect(
        yaml,
        Code::DuplicateKey,
        "duplicate key `project`",
        "project: again",
        "~~~~~~~",
    );
    assert_eq!(
        d.secondary[0].span.line, 1,
        "points at the first definition"
    );
    expect(
        yaml,
        Code::DuplicateKey,
        "duplicate key `range`",
        "  production: { range: 8000-8799, range: 8000-8100 }",
        "                                  ~~~~~",
    );
    expect(
        yaml,
        Code::DuplicateKey,
        "duplicate key `production`",
        "  production: { range: 9000-9100 }",
        "  ~~~~~~~~~~",
    );
    expect(
        yaml,
        Code::DuplicateKey,
        "duplicate key `api`",
        "      api: 8002",
        "      ~~~",
    );
}

#[test]
fn wrong_types_are_located() {
    let yaml = registry(
        "services:\n  web:\n    description: [a]\n    ports: { api: { production: \"8001\", test: 7001 } }\n",
    );
    expect(
        &yaml,
        Code::InvalidType,
        "description must be a string, found a list",
        "    description: [a]",
        "                 ~",
    );
    let d = expect(
        &yaml,
        Code::InvalidType,
        "must be an integer from 1 to 65535, found a string",
        "    ports: { api: { production: \"8001\", test: 7001 } }",
        "                                ~~~~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("remove the quotes: a port is a number")
    );
}

#[test]
fn port_zero_and_too_large_are_errors() {
    let yaml = registry(
        "services:\n  web:\n    ports:\n      a: { production: 0, test: 7001 }\n      b: { production: 65536, test: 7002 }\n      c: { production: 18446744073709551616, test: 7003 }\n      d: { production: -1, test: 7004 }\n      e: { production: 8000.5, test: 7005 }\n",
    );
    expect(
        &yaml,
        Code::InvalidPort,
        "is `0`, not a port number",
        "      a: { production: 0, test: 7001 }",
        "                       ~",
    );
    expect(
        &yaml,
        Code::InvalidPort,
        "is `65536`, not a port number",
        "      b: { production: 65536, test: 7002 }",
        "                       ~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPort,
        "is `18446744073709551616`, not a port number",
        "      c: { production: 18446744073709551616, test: 7003 }",
        "                       ~~~~~~~~~~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPort,
        "is `-1`, not a port number",
        "      d: { production: -1, test: 7004 }",
        "                       ~~",
    );
    expect(
        &yaml,
        Code::InvalidPort,
        "is `8000.5`, not a port number",
        "      e: { production: 8000.5, test: 7005 }",
        "                       ~~~~~~",
    );
    let d = expect(
        &yaml,
        Code::InvalidPort,
        "port `web.b` in production is `65536`, not a port number",
        "      b: { production: 65536, test: 7002 }",
        "                       ~~~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("use a port in the range of production (8000-8799)")
    );
}

#[test]
fn ports_are_written_in_decimal() {
    let yaml = registry(
        "services:\n  web:\n    ports:\n      a: { production: 0x1F41, test: 7001 }\n      b: { production: +8002, test: 7002 }\n      c: { production: 8_003, test: 7003 }\n      d: { production: 0o17504, test: 7004 }\n      e: { production: 8005, test: 07005 }\n",
    );
    let d = expect(
        &yaml,
        Code::InvalidPort,
        "`0x1F41` is not written as a decimal port number",
        "      a: { production: 0x1F41, test: 7001 }",
        "                       ~~~~~~",
    );
    assert_eq!(d.help.as_deref(), Some("write `8001`"));
    for (text, line, marker) in [
        (
            "`+8002`",
            "      b: { production: +8002, test: 7002 }",
            "                       ~~~~~",
        ),
        (
            "`8_003`",
            "      c: { production: 8_003, test: 7003 }",
            "                       ~~~~~",
        ),
        (
            "`0o17504`",
            "      d: { production: 0o17504, test: 7004 }",
            "                       ~~~~~~~",
        ),
    ] {
        expect(&yaml, Code::InvalidPort, text, line, marker);
    }
    // A leading zero (octal in YAML 1.1) is refused too, whatever it would mean.
    expect(
        &yaml,
        Code::InvalidPort,
        "`07005`",
        "      e: { production: 8005, test: 07005 }",
        "                                   ~~~~~",
    );
    assert_eq!(codes(&yaml).len(), 5);
}

#[test]
fn missing_required_keys() {
    let yaml =
        "project: demo\nenvironments:\n  production: {}\nservices:\n  web: { description: Web }\n";
    expect(
        yaml,
        Code::MissingKey,
        "environment `production` has no `range`",
        "  production: {}",
        "  ~~~~~~~~~~",
    );
    expect(
        yaml,
        Code::NoPorts,
        "service `web` has no ports",
        "  web: { description: Web }",
        "  ~~~",
    );
    assert_eq!(
        codes(""),
        vec![Code::MissingKey, Code::MissingKey],
        "empty file: no project, no environments"
    );
}

#[test]
fn invalid_utf8_is_located() {
    let source = Source::from_bytes(
        "ports.yaml",
        b"project: demo\nenvironments: \xff\n".to_vec(),
    );
    let report = check(&source);
    let d = report.diagnostics.iter().next().unwrap();
    assert_eq!(
        (d.code, d.primary.span.line, d.primary.span.column),
        (Code::InvalidUtf8, 2, 15)
    );
}

// Ranges.

#[test]
fn malformed_ranges() {
    let yaml = "project: demo\nenvironments:\n  a: { range: 8799-8000 }\n  b: { range: 9000-x }\n  c: { range: [] }\n";
    expect(
        yaml,
        Code::InvalidRange,
        "it starts after it ends",
        "  a: { range: 8799-8000 }",
        "              ~~~~~~~~~",
    );
    expect(
        yaml,
        Code::InvalidRange,
        "both ends must be port numbers",
        "  b: { range: 9000-x }",
        "              ~~~~~~",
    );
    expect(
        yaml,
        Code::InvalidRange,
        "empty list",
        "  c: { range: [] }",
        "              ~",
    );
}

#[test]
fn environment_ranges_on_one_host_must_not_overlap() {
    let yaml = "project: demo\nenvironments:\n  production: { range: 8000-8799 }\n  staging: { range: [7000-7099, 8700-8899] }\n";
    let d = expect(
        yaml,
        Code::RangeOverlap,
        "range 8700-8899 of environment `staging` overlaps range 8000-8799 of environment `production`",
        "  staging: { range: [7000-7099, 8700-8899] }",
        "                    ~",
    );
    assert_eq!(d.secondary[0].span.line, 3);
}

#[test]
fn environments_on_separate_hosts_may_share_ranges_and_ports() {
    let yaml = "project: demo\nenvironments:\n  production: { range: 8000-8799, host: prod-box }\n  staging: { range: 8000-8799, host: staging-box }\nservices:\n  web: { ports: { api: 8001 } }\n";
    assert_eq!(findings(yaml), vec![]);
}

// Ports inside their range.

#[test]
fn environment_port_outside_its_range() {
    let yaml = registry("services:\n  web: { ports: { api: { production: 9000, test: 7001 } } }\n");
    let d = expect(
        &yaml,
        Code::OutsideRange,
        "port 9000 of `web.api` in production is outside the range of production 8000-8799",
        "  web: { ports: { api: { production: 9000, test: 7001 } } }",
        "                                     ~~~~",
    );
    // The nearest, not the lowest: 9000 is closest to the range's end.
    assert_eq!(
        d.help.as_deref(),
        Some("the nearest free port in the range of production (8000-8799) is 8799")
    );
}

#[test]
fn infrastructure_port_outside_its_range() {
    let yaml = registry(
        "infrastructure:\n  range: [5000-6999, 8080]\n  services:\n    redis: { port: 6379 }\n    web: { port: 8081 }\n",
    );
    expect(
        &yaml,
        Code::OutsideRange,
        "port 8081 of infrastructure `web` is outside the infrastructure range 5000-6999, 8080",
        "    web: { port: 8081 }",
        "                 ~~~~",
    );
}

// No host port twice.

#[test]
fn conflict_names_both_holders_and_the_nearest_free_port() {
    let yaml = registry(
        "services:\n  web:\n    ports:\n      api: { production: 8001, test: 7001 }\n  worker:\n    ports:\n      api: { production: 8001, test: 7002 }\n",
    );
    let d = expect(
        &yaml,
        Code::PortConflict,
        "port 8001 of `worker.api` in production is already used by `web.api` in production",
        "      api: { production: 8001, test: 7002 }",
        "                         ~~~~",
    );
    assert_eq!(d.secondary[0].span.line, 8, "points at the first holder");
    assert_eq!(
        d.help.as_deref(),
        Some("the nearest free port in the range of production (8000-8799) is 8000")
    );
}

#[test]
fn conflict_across_environments_and_infrastructure() {
    let yaml = "project: demo\nenvironments:\n  production: { range: 8000-8799 }\n  development: { range: 9000-9799 }\ninfrastructure:\n  services:\n    pypi: { port: 9001 }\nservices:\n  web: { ports: { api: { production: 8001, development: 9001 } } }\n";
    expect(
        yaml,
        Code::PortConflict,
        "port 9001 of `web.api` in development is already used by infrastructure `pypi`",
        "  web: { ports: { api: { production: 8001, development: 9001 } } }",
        "                                                        ~~~~",
    );
}

#[test]
fn bare_port_with_several_environments_on_one_host_conflicts_with_itself() {
    let yaml = "project: demo\nenvironments:\n  production: { range: 8000-8799 }\n  test: { range: 8800-8999 }\nservices:\n  web: { ports: { api: 8001 } }\n";
    let d = expect(
        yaml,
        Code::SharedAcrossEnvironments,
        "`web.api` gives one port to environments production, test on the shared host",
        "  web: { ports: { api: 8001 } }",
        "                       ~~~~",
    );
    assert!(
        d.help
            .unwrap()
            .contains("`api: { production: …, test: … }`")
    );
    assert!(
        !codes(yaml).contains(&Code::PortConflict),
        "reported once, not as a conflict too"
    );
}

#[test]
fn services_limited_to_some_environments() {
    let ok = registry("services:\n  job: { environments: [test], ports: { api: 7001 } }\n");
    assert_eq!(findings(&ok), vec![]);
    let yaml = registry(
        "services:\n  job: { environments: [tset], ports: { api: { production: 8001, test: 7001 } } }\n",
    );
    let d = expect(
        &yaml,
        Code::UnknownEnvironment,
        "names environment `tset`, which is not declared",
        "  job: { environments: [tset], ports: { api: { production: 8001, test: 7001 } } }",
        "                        ~~~~",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `test`?"));
    let yaml = registry(
        "services:\n  job: { environments: [test], ports: { api: { production: 8001, test: 7001 } } }\n",
    );
    expect(
        &yaml,
        Code::UnknownEnvironment,
        "gives a port for `production`, but service `job` does not run there",
        "  job: { environments: [test], ports: { api: { production: 8001, test: 7001 } } }",
        "                                               ~~~~~~~~~~",
    );
}

#[test]
fn a_named_port_must_cover_every_environment() {
    let yaml = registry("services:\n  web:\n    ports:\n      api: { production: 8001 }\n");
    let d = expect(
        &yaml,
        Code::MissingEnvironment,
        "`web.api` has no port for `test`",
        "      api: { production: 8001 }",
        "      ~~~",
    );
    assert!(d.help.unwrap().contains("environments: [...]"));
}

// Reserved ports.

#[test]
fn reserved_ports_quote_their_reason() {
    let yaml = registry(
        "reserved:\n  - port: 8080\n    reason: conflicts with many local tools\n  - range: 7100-7199\n    reason: legacy\nservices:\n  web: { ports: { api: { production: 8080, test: 7150 } } }\n",
    );
    expect(
        &yaml,
        Code::ReservedPort,
        "port 8080 of `web.api` in production is reserved: conflicts with many local tools",
        "  web: { ports: { api: { production: 8080, test: 7150 } } }",
        "                                     ~~~~",
    );
    expect(
        &yaml,
        Code::ReservedPort,
        "is reserved: legacy",
        "  web: { ports: { api: { production: 8080, test: 7150 } } }",
        "                                                 ~~~~",
    );
}

#[test]
fn reserved_entries_need_a_reason_and_one_of_port_or_range() {
    let yaml = registry("reserved:\n  - port: 8080\n  - { port: 1, range: 2-3, reason: x }\n");
    expect(
        &yaml,
        Code::MissingKey,
        "reserved entry has no `reason`",
        "  - port: 8080",
        "    ~~~~",
    );
    expect(
        &yaml,
        Code::InvalidRange,
        "takes `port` or `range`, not both",
        "  - { port: 1, range: 2-3, reason: x }",
        "                      ~~~",
    );
}

// NodePorts.

const CLUSTER: &str = "project: k\nenvironments:\n  cluster:\n    range: 8001-8099\n    node_ports: { range: 31000-31999, offset: 23000 }\n";

#[test]
fn node_ports_must_lie_in_their_range_and_kubernetes_range() {
    let yaml = format!("{CLUSTER}services:\n  a: {{ ports: {{ api: 8001 }} }}\n");
    assert_eq!(findings(&yaml), vec![]);
    let yaml = "project: k\nenvironments:\n  cluster:\n    range: 8001-9999\n    node_ports: { range: 31000-31999, offset: 23000 }\nservices:\n  a: { ports: { api: 9000 } }\n  b: { ports: { api: 9800 } }\n";
    expect(
        yaml,
        Code::InvalidNodePort,
        "NodePort 32000 of `a.api` in cluster is outside the NodePort range 31000-31999",
        "  a: { ports: { api: 9000 } }",
        "                     ~~~~",
    );
    expect(
        yaml,
        Code::InvalidNodePort,
        "NodePort 32800 of `b.api` in cluster is outside Kubernetes' NodePort range 30000-32767",
        "  b: { ports: { api: 9800 } }",
        "                     ~~~~",
    );
}

#[test]
fn node_ports_must_be_unique_and_not_reserved() {
    let yaml = "project: k\nenvironments:\n  a:\n    range: 8001-8099\n    node_ports: { range: 30000-32767, offset: 23000 }\n  b:\n    range: 9001-9099\n    node_ports: { range: 30000-32767, offset: 22000 }\nreserved:\n  - range: 31005-31005\n    reason: taken by another cluster\nservices:\n  x: { ports: { api: { a: 8001, b: 9001 } } }\n  y: { ports: { api: { a: 8005, b: 9002 } } }\n";
    expect(
        yaml,
        Code::NodePortConflict,
        "NodePort 31001 of `x.api` in b is already used by `x.api` in a",
        "  x: { ports: { api: { a: 8001, b: 9001 } } }",
        "                                   ~~~~",
    );
    expect(
        yaml,
        Code::ReservedPort,
        "NodePort 31005 of `y.api` in a is reserved: taken by another cluster",
        "  y: { ports: { api: { a: 8005, b: 9002 } } }",
        "                          ~~~~",
    );
}

// Names.

#[test]
fn names_must_be_lowercase_identifiers() {
    let yaml =
        registry("services:\n  Web API:\n    ports: { api: { production: 8001, test: 7001 } }\n");
    let d = expect(
        &yaml,
        Code::InvalidName,
        "service name `Web API` is invalid",
        "  Web API:",
        "  ~~~~~~~",
    );
    assert_eq!(d.help.as_deref(), Some("try `web-api`"));
    let yaml = "project: 2fast\nenvironments:\n  prod: { range: 8000-8100 }\n";
    expect(
        yaml,
        Code::InvalidName,
        "project name `2fast` is invalid",
        "project: 2fast",
        "         ~~~~~",
    );
}

#[test]
fn names_that_collide_as_identifiers() {
    let yaml = registry(
        "services:\n  foo-bar: { ports: { api: { production: 8001, test: 7001 } } }\n  foo_bar: { ports: { api: { production: 8002, test: 7002 } } }\n  test: { ports: { api: { production: 8003, test: 7003 } } }\n  a: { ports: { b-c: { production: 8004, test: 7004 } } }\n  a-b: { ports: { c: { production: 8005, test: 7005 } } }\n",
    );
    expect(
        &yaml,
        Code::IdentifierCollision,
        "service `foo_bar` and service `foo-bar` both become the Rust module `foo_bar`",
        "  foo_bar: { ports: { api: { production: 8002, test: 7002 } } }",
        "  ~~~~~~~",
    );
    expect(
        &yaml,
        Code::IdentifierCollision,
        "service `test` and environment `test` both become the Rust module `test`",
        "  test: { ports: { api: { production: 8003, test: 7003 } } }",
        "  ~~~~",
    );
    expect(
        &yaml,
        Code::IdentifierCollision,
        "port `a-b.c` and port `a.b-c` both become the Rust constant `A_B_C`",
        "  a-b: { ports: { c: { production: 8005, test: 7005 } } }",
        "                  ~",
    );
}

#[test]
fn names_that_collide_as_env_variables() {
    let head = "project: k\nenvironments:\n  dev: { range: 8000-8100 }\ninfrastructure:\n  range: 5000-5999\n  services:\n    postgres-test: { port: 5433 }\nservices:\n  postgres:\n    ports:\n      test: 8001\n";
    let d = expect(
        head,
        Code::IdentifierCollision,
        "port `postgres.test` and infrastructure `postgres-test` both become the .env variable `POSTGRES_TEST_PORT`",
        "      test: 8001",
        "            ~~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("rename one of them; `-` and `_` are the same in .env variable names")
    );
    // Without the env artifact there is no file for them to collide in.
    let without = format!("{head}render:\n  artifacts: [ports.json]\n");
    assert_eq!(findings(&without), vec![]);
}

#[test]
fn rust_keywords_are_fine_as_names() {
    let yaml = "project: k\nenvironments:\n  type: { range: 8000-8100 }\nservices:\n  self: { ports: { fn: 8001, match: 8002 } }\n  crate: { ports: { api: 8003 } }\n";
    assert_eq!(findings(yaml), vec![]);
}

// Warnings.

#[test]
fn ephemeral_and_privileged_ports_warn_once_per_value() {
    let yaml = "project: k\nenvironments:\n  a: { range: 1-65535, host: one }\n  b: { range: 1-65535, host: two }\nservices:\n  web: { ports: { http: 80, high: 40000 } }\n";
    let all = findings(yaml);
    assert!(all.iter().all(|d| d.severity == Severity::Warning));
    let d = expect(
        yaml,
        Code::PrivilegedPort,
        "port 80 of `web.http` is privileged",
        "  web: { ports: { http: 80, high: 40000 } }",
        "                        ~~",
    );
    assert_eq!(d.severity, Severity::Warning);
    expect(
        yaml,
        Code::EphemeralPort,
        "port 40000 of `web.high` is in the Linux ephemeral range 32768-60999",
        "  web: { ports: { http: 80, high: 40000 } }",
        "                                  ~~~~~",
    );
    assert_eq!(
        all.len(),
        2,
        "one warning per written value, not per environment"
    );
    assert!(
        check(&Source::new("ports.yaml", yaml)).is_ok(),
        "warnings keep the registry valid"
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let yaml = registry(
        "services:\n  web:\n    descripton: x\n    ports: { api: { production: 9000, test: 0 } }\n  Bad: { ports: { api: { production: 8001, test: 7001 } } }\n",
    );
    let found = codes(&yaml);
    for code in [
        Code::UnknownKey,
        Code::OutsideRange,
        Code::InvalidPort,
        Code::InvalidName,
    ] {
        assert!(found.contains(&code), "{code} missing from {found:?}");
    }
}

#[test]
fn alias_bombs_are_stopped_with_a_located_error() {
    let mut yaml = String::from("a: &a [1,1,1,1,1,1,1,1,1,1]\n");
    for (name, prev) in [
        ("b", "a"),
        ("c", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "e"),
        ("g", "f"),
        ("h", "g"),
    ] {
        yaml.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    let all = findings(&yaml);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].code, Code::YamlSyntax);
    assert!(
        all[0].message.contains("too large or too complex"),
        "{}",
        all[0].message
    );
}

#[test]
fn several_documents_are_refused() {
    let all = findings("project: demo\n---\nproject: other\n");
    assert_eq!(all[0].code, Code::YamlSyntax);
    // Located at the `---` that starts the second document.
    assert_eq!(all[0].primary.span.line, 2);
}

#[test]
fn node_port_offsets_are_bounded_not_overflowing() {
    let yaml = "project: k\nenvironments:\n  c: { range: 8000-8100, node_ports: { range: 30000-32767, offset: -2147483648 } }\n";
    expect(
        yaml,
        Code::InvalidType,
        "must be an integer from -65535 to 65535",
        "  c: { range: 8000-8100, node_ports: { range: 30000-32767, offset: -2147483648 } }",
        "                                                                   ~~~~~~~~~~~",
    );
}

#[test]
fn node_port_past_65535_is_reported() {
    let yaml = "project: k\nenvironments:\n  c: { range: 8000-8100, node_ports: { range: 30000-32767, offset: 60000 } }\nservices:\n  a: { ports: { api: 8001 } }\n";
    expect(
        yaml,
        Code::InvalidNodePort,
        "NodePort of `a.api` in c would be 8001 + 60000 = 68001, not a port number",
        "  a: { ports: { api: 8001 } }",
        "                     ~~~~",
    );
}

#[test]
fn merge_keys_and_aliases_do_not_hide_conflicts() {
    let single = "project: demo\nenvironments:\n  production: { range: 8000-8799 }\nservices:\n  web: { ports: { <<: { api: 8001, metrics: 8001 } } }\n";
    assert!(
        codes(single).contains(&Code::PortConflict),
        "{:?}",
        codes(single)
    );
    let merged = registry(
        "services:\n  web:\n    ports:\n      api: { <<: { production: 8001, test: 7001 } }\n",
    );
    assert_eq!(
        findings(&merged),
        vec![],
        "two environments' ports from one merge are not one shared port"
    );
}

#[test]
fn nearest_free_port_skips_taken_and_reserved_ports() {
    let yaml = registry(
        "reserved:\n  - port: 8003\n    reason: legacy\nservices:\n  a: { ports: { api: { production: 8001, test: 7001 } } }\n  b: { ports: { api: { production: 8002, test: 7002 } } }\n  c: { ports: { api: { production: 8000, test: 7003 } } }\n  d: { ports: { api: { production: 8002, test: 7004 } } }\n",
    );
    let d = expect(
        &yaml,
        Code::PortConflict,
        "port 8002 of `d.api` in production is already used by `b.api` in production",
        "  d: { ports: { api: { production: 8002, test: 7004 } } }",
        "                                   ~~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("the nearest free port in the range of production (8000-8799) is 8004")
    );
}

#[test]
fn names_that_collide_with_generated_items() {
    let yaml = "project: k\nenvironments:\n  v-a-r: { range: 8000-8100 }\n  a-1b: { range: 9000-9100 }\n  a1b: { range: 7000-7100 }\nservices:\n  infrastructure: { ports: { api: 8001 } }\n";
    expect(
        yaml,
        Code::IdentifierCollision,
        "environment `v-a-r` and the generated `Environment::VAR` both become the Rust enum variant `VAR`",
        "  v-a-r: { range: 8000-8100 }",
        "  ~~~~~",
    );
    expect(
        yaml,
        Code::IdentifierCollision,
        "environment `a1b` and environment `a-1b` both become the Rust enum variant `A1b`",
        "  a1b: { range: 7000-7100 }",
        "  ~~~",
    );
    let d = expect(
        yaml,
        Code::IdentifierCollision,
        "service `infrastructure` and the generated `infrastructure` module",
        "  infrastructure: { ports: { api: 8001 } }",
        "  ~~~~~~~~~~~~~~",
    );
    assert!(
        d.secondary.is_empty(),
        "no location for a name Portolan itself defines"
    );
}

#[test]
fn render_and_sync_paths_stay_inside_the_registry_directory() {
    let yaml = registry(
        "render:\n  dir: ../out\n  templates:\n    - template: /etc/t.j2\n      output: out/{env}.conf\nsync:\n  - file: config/../../x.yaml\n    values: { port: \"1\" }\n",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`render.dir`: `../out` leaves ports.yaml's directory",
        "  dir: ../out",
        "       ~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`template`: `/etc/t.j2` is absolute",
        "    - template: /etc/t.j2",
        "                ~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`{env}` is not a placeholder",
        "      output: out/{env}.conf",
        "              ~~~~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "leaves ports.yaml's directory",
        "  - file: config/../../x.yaml",
        "          ~~~~~~~~~~~~~~~~~~~",
    );
}

#[test]
fn paths_have_one_spelling() {
    let yaml = registry(
        "render:\n  dir: ./generated\nsync:\n  - file: config//app.yaml\n    values: { port: \"1\" }\n  - file: config/./app.yaml\n    values: { port: \"1\" }\n  - file: .\n    values: { port: \"1\" }\n",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`render.dir`: `./generated` is not in normal form; write `generated`",
        "  dir: ./generated",
        "       ~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`config//app.yaml` is not in normal form; write `config/app.yaml`",
        "  - file: config//app.yaml",
        "          ~~~~~~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`config/./app.yaml` is not in normal form; write `config/app.yaml`",
        "  - file: config/./app.yaml",
        "          ~~~~~~~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidPath,
        "`.` names ports.yaml's directory itself",
        "  - file: .",
        "          ~",
    );
}

#[test]
fn unknown_artifacts_and_bad_key_paths_are_located() {
    let yaml = registry(
        "render:\n  artifacts: [ports.jsn, env]\nsync:\n  - file: app.yaml\n    values:\n      metrics..port: \"1\"\n      nodes[role=cp: \"2\"\n",
    );
    let d = expect(
        &yaml,
        Code::UnknownKey,
        "unknown artifact `ports.jsn`",
        "  artifacts: [ports.jsn, env]",
        "              ~~~~~~~~~",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `ports.json`?"));
    expect(
        &yaml,
        Code::InvalidKeyPath,
        "has an empty step",
        "      metrics..port: \"1\"",
        "      ~~~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::InvalidKeyPath,
        "`[` without `]`",
        "      nodes[role=cp: \"2\"",
        "      ~~~~~~~~~~~~~",
    );
}

#[test]
fn a_sync_entry_must_own_something_and_values_are_strings_or_integers() {
    let yaml = registry("sync:\n  - file: app.yaml\n  - file: b.yaml\n    values: { port: [1] }\n");
    expect(
        &yaml,
        Code::MissingKey,
        "sync entry owns no value",
        "  - file: app.yaml",
        "    ~~~~",
    );
    expect(
        &yaml,
        Code::InvalidType,
        "an owned value must be a template string or an integer",
        "    values: { port: [1] }",
        "                    ~",
    );
    assert_eq!(
        codes(&yaml).len(),
        2,
        "no cascade for the entry whose values are wrong"
    );
}

/// `check_then` runs its work beside validation and hands back the result only
/// for a valid registry; a registry that does not load never reaches it.
#[test]
fn check_then_keeps_its_result_only_for_a_valid_registry() {
    use portolan::validate::check_then;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let services = |r: portolan::Valid<'_>| r.services.len();

    let valid = Source::new(
        "ports.yaml",
        registry("services:\n  a: { ports: { api: { production: 8001, test: 7001 } } }\n"),
    );
    let (report, result) = check_then(&valid, services);
    assert!(report.is_ok());
    assert_eq!(result, Some(1));

    // Loads, but breaks a rule: the work ran and is dropped with the verdict.
    let conflict = Source::new(
        "ports.yaml",
        registry(
            "services:\n  a: { ports: { api: { production: 8001, test: 7001 } } }\n  b: { ports: { api: { production: 8001, test: 7002 } } }\n",
        ),
    );
    let (report, result) = check_then(&conflict, services);
    assert_eq!(
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::PortConflict)
            .count(),
        1
    );
    assert_eq!(result, None);
    assert_eq!(
        report
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect::<Vec<_>>(),
        check(&conflict)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect::<Vec<_>>(),
        "the same findings as check"
    );

    // Work that fails on an invalid registry is dropped with it, not raised.
    let (report, result) = check_then(&conflict, |_| -> usize {
        panic!("relied on a valid registry")
    });
    assert!(!report.is_ok());
    assert_eq!(result, None);

    let calls = AtomicUsize::new(0);
    for broken in [
        "project: [",
        "project: demo\nenvironments: {}\nservices:\n  a: { ports: { api: 0x1F90 } }\n",
    ] {
        let source = Source::new("ports.yaml", broken);
        let (report, result) = check_then(&source, |_| calls.fetch_add(1, Ordering::SeqCst));
        assert!(!report.is_ok());
        assert_eq!(result, None);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no work on a registry that did not load"
    );
}

#[test]
fn a_service_without_ports_is_a_warning_whose_fix_is_assign() {
    for (rest, line, marker) in [
        (
            "services:\n  web:\n    ports: {}\n",
            "    ports: {}",
            "           ~",
        ),
        ("services:\n  web:\n    description: x\n", "  web:", "  ~~~"),
    ] {
        let yaml = registry(rest);
        let d = expect(
            &yaml,
            Code::NoPorts,
            "service `web` has no ports",
            line,
            marker,
        );
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(
            d.help.as_deref(),
            Some("run `portolan assign web` to give it a free port in every environment")
        );
        assert!(check(&Source::new("ports.yaml", yaml)).is_ok());
    }
}

#[test]
fn a_misplaced_ports_key_is_named_as_such() {
    let yaml = registry("services:\n  web:\n    description: x\n  ports:\n    api: 8000\n");
    let d = expect(
        &yaml,
        Code::MissingKey,
        "`ports:` of service `web` is not indented under it",
        "  ports:",
        "  ~~~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("indent `ports:` and the lines under it two more spaces, under `web:`")
    );
    // The one finding: no "no ports" for `web`, no unknown key `api` in a service `ports`.
    assert_eq!(
        check(&Source::new("ports.yaml", yaml.clone()))
            .diagnostics
            .len(),
        1
    );
    // A `ports:` after a service that has ports belongs to no one: it is named as such.
    let yaml = registry("services:\n  web:\n    ports: { api: 8000 }\n  ports:\n    api: 8001\n");
    expect(
        &yaml,
        Code::MissingKey,
        "`ports` is not a service: a service's `ports:` goes inside it",
        "  ports:",
        "  ~~~~~",
    );
}

#[test]
fn named_ports_beside_an_empty_ports_key_are_named_as_such() {
    let yaml =
        registry("services:\n  web:\n    ports:\n    api: { production: 8000, test: 7000 }\n");
    let d = expect(
        &yaml,
        Code::UnknownKey,
        "`api` looks like a named port of service `web`, but it is not under `ports:`",
        "    api: { production: 8000, test: 7000 }",
        "    ~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("indent `api:` two more spaces, under `ports:`")
    );
    assert_eq!(check(&Source::new("ports.yaml", yaml)).diagnostics.len(), 1);
}

#[test]
fn an_environment_spelled_two_ways_is_one_finding_naming_both_fixes() {
    let yaml = "project: demo\nenvironments:\n  stagging: { range: 8000-8099 }\n  prod: { range: 9000-9099 }\nservices:\n  web: { ports: { api: { staging: 8000, prod: 9000 } } }\n";
    let line = "  web: { ports: { api: { staging: 8000, prod: 9000 } } }";
    let marker = "                         ~~~~~~~";
    let d = expect(
        yaml,
        Code::UnknownEnvironment,
        "`web.api` names environment `staging`, but the environment is declared as `stagging`",
        line,
        marker,
    );
    // One port: either could be the typo.
    assert_eq!(
        d.help.as_deref(),
        Some(
            "if the declaration is the typo, rename environment `stagging` (line 3) to `staging`; otherwise rename this key to `stagging`"
        )
    );
    assert_eq!(
        codes(yaml),
        vec![Code::UnknownEnvironment],
        "no missing-environment beside it"
    );

    // Every port writes `staging`: the declaration is the typo.
    let db = "  db: { ports: { api: { staging: 8001, prod: 9001 } } }";
    let db_marker = "                        ~~~~~~~";
    let two = format!("{yaml}{db}\n");
    let d = expect(
        &two,
        Code::UnknownEnvironment,
        "declared as `stagging`",
        db,
        db_marker,
    );
    assert_eq!(
        d.help.as_deref(),
        Some(
            "rename the declared environment `stagging` (line 3) to `staging`, the name the ports use"
        )
    );

    // Another port writes the declared name: this key is the typo.
    let key_typo = format!("{}{db}\n", yaml.replace("staging: 8000", "stagging: 8000"));
    let d = expect(
        &key_typo,
        Code::UnknownEnvironment,
        "declared as `stagging`",
        db,
        db_marker,
    );
    assert_eq!(d.help.as_deref(), Some("rename this key to `stagging`"));

    // A declared name that is not a valid name is the one to rename.
    let yaml = yaml.replace("stagging:", "Staging:");
    let d = expect(
        &yaml,
        Code::UnknownEnvironment,
        "declared as `Staging`",
        line,
        marker,
    );
    assert_eq!(
        d.help.as_deref(),
        Some(
            "rename the declared environment `Staging` (line 3) to `staging`: names are lowercase"
        )
    );
}

#[test]
fn a_misspelt_ports_key_is_one_finding_not_also_a_service_without_ports() {
    let yaml = registry("services:\n  web:\n    port: { api: 8000 }\n");
    assert_eq!(codes(&yaml), vec![Code::UnknownKey]);
}

#[test]
fn a_bare_number_that_is_no_port_says_which_numbers_would_do() {
    let yaml = registry(
        "services:\n  web:\n    environments: [production]\n    ports:\n      api: 80200\n",
    );
    let d = expect(
        &yaml,
        Code::InvalidPort,
        "port `web.api` is `80200`, not a port number",
        "      api: 80200",
        "           ~~~~~",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("use a port in the range of its environments (production 8000-8799)")
    );
}

#[test]
fn an_empty_artifacts_key_means_the_default() {
    let yaml = "project: demo\nenvironments:\n  dev:\n    range: 8000-8099\n    artifacts:\nservices:\n  web: { ports: { api: 8000 } }\n";
    let report = check(&Source::new("ports.yaml", yaml));
    let registry = report.valid_registry().expect("valid");
    assert_eq!(registry.environments[0].artifacts, None);
}

#[test]
fn an_owned_list_says_how_portolans_items_are_told_apart() {
    let yaml = registry(
        "sync:\n  - file: kind.yaml\n    lists:\n      a: { item: { hostPort: \"{{ port }}\" } }\n      b: { comment: \"{{ service }} {{ name }}\", item: { hostPort: \"{{ port }}\" } }\n      c: { key: hostprt, item: { hostPort: \"{{ port }}\" } }\n      d: { comment: \"portolan: {{ service }}\", item: { hostPort: \"{{ port }}\" } }\n      e: { key: name, item: { name: \"{{ service }}\" } }\n",
    );
    expect(
        &yaml,
        Code::MissingKey,
        "owned list `a` does not say which items are Portolan's; the team's own items stay",
        "      a: { item: { hostPort: \"{{ port }}\" } }",
        "      ~",
    );
    expect(
        &yaml,
        Code::InvalidType,
        "the comment starts with a variable, so it cannot mark Portolan's items apart from the team's",
        "      b: { comment: \"{{ service }} {{ name }}\", item: { hostPort: \"{{ port }}\" } }",
        "                    ~~~~~~~~~~~~~~~~~~~~~~~~~~",
    );
    expect(
        &yaml,
        Code::UnknownKey,
        "`key: hostprt` is not one of the item's keys",
        "      c: { key: hostprt, item: { hostPort: \"{{ port }}\" } }",
        "                ~~~~~~~",
    );
    assert_eq!(
        codes(&yaml).len(),
        3,
        "d and e are fine: {:?}",
        codes(&yaml)
    );
}

#[test]
fn a_sync_entry_covers_declared_services_and_environments() {
    let yaml = registry(
        "sync:\n  - file: a.yaml\n    services: [courir]\n    environments: [prod]\n    values: { port: \"1\" }\n  - file: b.yaml\n    services: []\n    values: { port: \"1\" }\n",
    );
    expect(
        &yaml,
        Code::UnknownKey,
        "sync entry names service `courir`, which is not declared",
        "    services: [courir]",
        "               ~~~~~~",
    );
    expect(
        &yaml,
        Code::UnknownEnvironment,
        "sync entry names environment `prod`, which is not declared",
        "    environments: [prod]",
        "                   ~~~~",
    );
    expect(
        &yaml,
        Code::InvalidType,
        "`services: []` covers nothing, so the entry would sync nothing",
        "    services: []",
        "              ~",
    );
    assert_eq!(codes(&yaml).len(), 3, "{:?}", codes(&yaml));
}

#[test]
fn names_that_collide_in_ports_py_or_ports_ts_are_refused_when_rendered() {
    let text = "project: demo\nenvironments:\n  eu: { range: 7000-7049 }\n  prod-eu: { range: 7100-7149 }\nservices:\n  web: { ports: { api: { eu: 7000, prod-eu: 7100 }, api-prod: { eu: 7001, prod-eu: 7101 } } }\n  svc-2: { ports: { api: { eu: 7002, prod-eu: 7102 } } }\n  svc2: { ports: { api: { eu: 7003, prod-eu: 7103 } } }\nrender: { artifacts: [ports.py, ports.ts] }\n";
    let found: Vec<String> = portolan::check(&portolan::Source::new("ports.yaml", text))
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::IdentifierCollision)
        .map(|d| d.message.clone())
        .collect();
    assert!(
        found
            .iter()
            .any(|m| m.contains("both become the name in ports.py `WEB_API_PROD_EU`")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("both become the name in ports.ts `svc2Api`")),
        "{found:#?}"
    );
    // Not rendered: not refused.
    let quiet = text.replace(
        "render: { artifacts: [ports.py, ports.ts] }\n",
        "render: { artifacts: [] }\n",
    );
    assert!(
        portolan::check(&portolan::Source::new("ports.yaml", quiet.as_str()))
            .diagnostics
            .iter()
            .all(|d| d.code != Code::IdentifierCollision)
    );
}

#[test]
fn names_that_collide_as_kubernetes_labels_are_refused_when_rendered() {
    let text = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  payments-reconciliation-service-for-european-union-customers-east-1: { ports: { metrics-internal-a: 8000, metrics-internal-b: 8001 } }\n  payments-reconciliation-service-for-european-union-customers-east-2: { ports: { api: 8002 } }\nrender: { artifacts: [kubernetes] }\n";
    let found: Vec<String> = portolan::check(&portolan::Source::new("ports.yaml", text))
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::IdentifierCollision)
        .map(|d| d.message.clone())
        .collect();
    assert!(
        found.iter().any(|m| m.contains("both become the Kubernetes Service name `payments-reconciliation-service-for-european-union-customers-ea`")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("both become the Kubernetes port name `metrics-interna`")),
        "{found:#?}"
    );
}

#[test]
fn a_scrape_name_no_service_has_is_located() {
    let yaml = registry(
        "services:\n  web: { ports: { api: 8000, metrics: 8001 } }\nrender: { scrape: [metric, metrics, metrics] }\n",
    );
    let d = expect(
        &yaml,
        Code::UnknownKey,
        "no service has a port named `metric` to scrape",
        "render: { scrape: [metric, metrics, metrics] }",
        "                   ~~~~~~",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `metrics`?"));
    // The repeated name is one name, and not a finding.
    let unknown = codes(&yaml)
        .into_iter()
        .filter(|c| *c == Code::UnknownKey)
        .count();
    assert_eq!(unknown, 1);
}

/// A range must lie inside its environment's range, found whether that
/// range is written as a few pieces or as many (merged, then searched).
#[test]
fn a_range_is_inside_its_environment_however_the_range_is_written() {
    for pieces in [2usize, 40] {
        // 8000-8079 (or 8000-8799) in adjacent pieces, then a gap before 9000-9099.
        let width: u16 = if pieces > 8 { 20 } else { 40 };
        let list: Vec<String> = (0..pieces)
            .map(|i| {
                let a = 8000 + i as u16 * width;
                format!("{a}-{}", a + width - 1)
            })
            .chain(["9000-9099".to_owned()])
            .collect();
        let end = 8000 + pieces as u16 * width - 1;
        let yaml = format!(
            "project: p\nenvironments:\n  dev: {{ range: [{}] }}\nservices:\n  inside: {{ ports: {{ rtp: 8000-{end} }} }}\n  across: {{ ports: {{ rtp: {}-9010 }} }}\n  later: {{ ports: {{ rtp: 9050-9060 }} }}\n",
            list.join(", "),
            end - 5
        );
        let all = findings(&yaml);
        let outside: Vec<&str> = all
            .iter()
            .filter(|d| d.code == Code::OutsideRange)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(outside.len(), 1, "{pieces} pieces: {all:#?}");
        assert!(
            outside[0].ends_with(&format!(": {} is outside", end + 1)),
            "{pieces} pieces: {}",
            outside[0]
        );
    }
}

/// Ranges hold at most 4,194,304 ports in all: 100 hosts of full ranges are
/// refused with one finding, quickly, not checked port by port.
#[test]
fn ranges_have_a_budget() {
    let mut yaml = String::from("project: p\nenvironments:\n");
    for i in 0..100 {
        yaml.push_str(&format!("  e{i}: {{ range: 1024-65535, host: h{i} }}\n"));
    }
    yaml.push_str("services:\n  media: { ports: { rtp: 1024-65535 } }\n");
    let all = findings(&yaml);
    let budget: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.code == Code::InvalidRange)
        .collect();
    assert_eq!(budget.len(), 1, "{all:#?}");
    assert!(
        budget[0].message.contains("more than 4194304 ports"),
        "{}",
        budget[0].message
    );
}

/// An infrastructure NodePort is checked against the NodePorts of every
/// host's services: the cluster that maps it is not named.
#[test]
fn an_infrastructure_node_port_is_checked_against_every_cluster() {
    let yaml = "project: p\nenvironments:\n  cluster: { range: 8000-8099, host: kind, node_ports: { range: 31000-31999, offset: 23000 } }\nservices:\n  a: { ports: { api: 8001 } }\ninfrastructure:\n  services:\n    pg: { port: 5432, node_port: 31001 }\n";
    expect(
        yaml,
        Code::NodePortConflict,
        "NodePort 31001 of infrastructure `pg` is already used by `a.api` in cluster",
        "    pg: { port: 5432, node_port: 31001 }",
        "                                 ~~~~~",
    );
}

/// Range ends are written as ports are: `08010-8020` and `+8000-8010` are
/// refused like `08010`, so a search for `8010` finds every use.
#[test]
fn range_ends_are_written_plainly() {
    for (env, range) in [
        ("8000-8099", "08010-8020"),
        ("8000-8099", "8000-08010"),
        ("+8000-8099", "8010-8020"),
    ] {
        let yaml = format!(
            "project: p\nenvironments:\n  dev: {{ range: \"{env}\" }}\nservices:\n  media: {{ ports: {{ rtp: \"{range}\" }} }}\n"
        );
        let all = findings(&yaml);
        assert!(
            all.iter()
                .any(|d| d.code == Code::InvalidRange && d.message.contains("written plainly")),
            "{range}: {all:#?}"
        );
    }
}

/// A range set of many pieces is shown by its first eight in messages.
#[test]
fn a_range_of_many_pieces_is_shown_short() {
    let pieces: Vec<String> = (0..100).map(|i| (1024 + 2 * i).to_string()).collect();
    let yaml = format!(
        "project: p\nenvironments:\n  dev: {{ range: [{}] }}\nservices:\n  web: {{ ports: {{ api: 9000 }} }}\n",
        pieces.join(", ")
    );
    let all = findings(&yaml);
    let outside = all.iter().find(|d| d.code == Code::OutsideRange).unwrap();
    assert!(
        outside.message.ends_with(
            "outside the range of dev 1024, 1026, 1028, 1030, 1032, 1034, 1036, 1038, … (92 more)"
        ),
        "{}",
        outside.message
    );
}

/// An infrastructure NodePort is refused where a reserved range lies.
#[test]
fn an_infrastructure_node_port_respects_reserved_ports() {
    let yaml = "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nreserved:\n  - { range: 30000-30099, reason: other cluster }\ninfrastructure:\n  services:\n    redis: { port: 6379, node_port: 30050 }\n";
    expect(
        yaml,
        Code::ReservedPort,
        "NodePort 30050 of infrastructure `redis` is reserved: other cluster",
        "    redis: { port: 6379, node_port: 30050 }",
        "                                    ~~~~~",
    );
}
