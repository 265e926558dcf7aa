//! The JSON Schema accepts both example registries and rejects broken ones.

use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&portolan::schema::json()).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::draft7::new(&schema).unwrap()
}

fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap()
}

#[test]
fn both_registries_validate_and_name_the_schema() {
    let validator = validator();
    for registry in ["ports.yaml", "examples/rerp/ports.yaml"] {
        let text = std::fs::read_to_string(Path::new(ROOT).join(registry)).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=generated/ports.schema.json\n"),
            "{registry}"
        );
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{registry}: {errors:#?}");
    }
    // Every new key of a named port and an infrastructure entry.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/protocols.yaml");
    let text = std::fs::read_to_string(fixture).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&yaml(&text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "protocols.yaml: {errors:#?}");
}

/// Registries the schema must refuse, each with why.
fn broken_registries() -> Vec<(String, &'static str)> {
    let head = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n";
    vec![
        (
            format!("{head}services:\n  web: {{ ports: {{ api: \"8000\" }} }}\n"),
            "a quoted port",
        ),
        (
            format!("{head}services:\n  web: {{ ports: {{ api: 70000 }} }}\n"),
            "a port above 65535",
        ),
        (format!("{head}servics: {{}}\n"), "an unknown key"),
        (
            "project: Demo\nenvironments: {}\n".to_owned(),
            "an invalid name",
        ),
        (
            format!("{head}render: {{ artifacts: [ports.jsn] }}\n"),
            "an unknown artifact",
        ),
        ("environments: {}\n".to_owned(), "no project"),
        (
            format!("{head}services:\n  Billing: {{ ports: {{ api: 8000 }} }}\n"),
            "a service name ports.yaml refuses",
        ),
        (
            "project: demo\nenvironments:\n  Production: { range: 8000-8099 }\n".to_owned(),
            "an environment name ports.yaml refuses",
        ),
        (
            format!("{head}services:\n  web: {{ ports: {{ API: 8000 }} }}\n"),
            "a port name ports.yaml refuses",
        ),
        (
            "project: demo\nenvironments:\n  dev: { range: 1-99999 }\n".to_owned(),
            "a range past 65535",
        ),
        (
            "project: demo\nenvironments:\n  dev: { range: 0-100 }\n".to_owned(),
            "a range from port 0",
        ),
        (
            format!(
                "{head}services:\n  web: {{ ports: {{ api: {{ port: 8000, protocol: UDP }} }} }}\n"
            ),
            "a protocol ports.yaml refuses",
        ),
        (
            format!(
                "{head}services:\n  web: {{ ports: {{ api: {{ port: 8000, bind: localhost }} }} }}\n"
            ),
            "a bind that is no address",
        ),
        (
            format!(
                "{head}infrastructure:\n  services:\n    db: {{ port: 5432, node_port: 29999 }}\n"
            ),
            "an infrastructure NodePort outside Kubernetes' range",
        ),
        (
            format!("{head}services:\n  media: {{ ports: {{ rtp: {{ range: 8000-99999 }} }} }}\n"),
            "a port range past 65535",
        ),
    ]
}

#[test]
fn broken_registries_fail() {
    let validator = validator();
    for (broken, why) in broken_registries() {
        assert!(
            !validator.is_valid(&yaml(&broken)),
            "{why} passed:\n{broken}"
        );
    }
}

#[test]
fn every_key_has_a_description() {
    let schema: serde_json::Value = serde_json::from_str(&portolan::schema::json()).unwrap();
    let mut missing = Vec::new();
    let definitions = schema["definitions"].as_object().unwrap();
    for (name, def) in definitions
        .iter()
        .chain([(&"Registry".to_owned(), &schema)])
    {
        for (key, prop) in def["properties"].as_object().into_iter().flatten() {
            if prop["description"].as_str().is_none_or(str::is_empty) {
                missing.push(format!("{name}.{key}"));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:?}");
}

/// Strict validators (ajv --strict) refuse formats JSON Schema does not define.
#[test]
fn the_schema_uses_only_standard_keywords() {
    let schema: serde_json::Value = serde_json::from_str(&portolan::schema::json()).unwrap();
    fn walk(v: &serde_json::Value, path: &str) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(f)) = map.get("format") {
                    panic!("{path}: format `{f}`");
                }
                for (k, v) in map {
                    walk(v, &format!("{path}/{k}"));
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}/{i}"));
                }
            }
            _ => {}
        }
    }
    walk(&schema, "");
}

/// The schema in the validators users run: ajv in strict mode and
/// check-jsonschema, over both registries and every broken one. CI installs
/// both (`PORTOLAN_AJV`, `PORTOLAN_CHECK_JSONSCHEMA`); elsewhere the test
/// says it skipped.
#[test]
fn the_schema_works_in_ajv_strict_and_check_jsonschema() {
    let tools: Vec<(String, Vec<String>)> = [
        (
            "PORTOLAN_AJV",
            vec!["validate", "--spec=draft7", "--strict=true", "-s"],
        ),
        ("PORTOLAN_CHECK_JSONSCHEMA", vec!["--schemafile"]),
    ]
    .into_iter()
    .filter_map(|(var, args)| {
        let tool = std::env::var(var).ok();
        if tool.is_none() {
            eprintln!("skipped: {var} is not set (CI installs the tool)");
        }
        Some((tool?, args.into_iter().map(str::to_owned).collect()))
    })
    .collect();
    if tools.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("ports.schema.json");
    std::fs::write(&schema, portolan::schema::json()).unwrap();
    let as_json = |name: &str, text: &str| {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string(&yaml(text)).unwrap()).unwrap();
        path
    };
    let mut cases = Vec::new();
    for (i, registry) in [
        "ports.yaml",
        "examples/rerp/ports.yaml",
        "crates/portolan/tests/fixtures/valid/protocols.yaml",
    ]
    .iter()
    .enumerate()
    {
        let text = std::fs::read_to_string(Path::new(ROOT).join(registry)).unwrap();
        cases.push((
            as_json(&format!("valid-{i}"), &text),
            true,
            registry.to_string(),
        ));
    }
    for (i, (text, why)) in broken_registries().into_iter().enumerate() {
        cases.push((
            as_json(&format!("broken-{i}"), &text),
            false,
            why.to_owned(),
        ));
    }
    for (tool, args) in &tools {
        for (data, valid, why) in &cases {
            let mut command = std::process::Command::new(tool);
            command.args(args).arg(&schema);
            if tool.contains("ajv") {
                command.arg("-d");
            }
            let out = command.arg(data).output().unwrap();
            assert_eq!(
                out.status.success(),
                *valid,
                "{tool} on {why}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
