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
}

#[test]
fn broken_registries_fail() {
    let validator = validator();
    let head = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\n";
    for (broken, why) in [
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
    ] {
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
