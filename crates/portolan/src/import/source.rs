//! The source file as an ordered tree: JSON or YAML, read through Portolan's
//! YAML layer, mapping entries in file order with duplicate keys kept.

use super::*;

/// A JSON or YAML value with mapping entries in source order (duplicates kept).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tree {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// The last value of `key`, as Python's loaders (and serde_json) keep it.
    pub(super) fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A value as a message quotes it.
pub(super) fn describe(v: &Tree) -> String {
    match v {
        Tree::Null => "nothing".to_owned(),
        Tree::Bool(b) => format!("`{b}`"),
        Tree::Int(n) => n.to_string(),
        Tree::Float(x) => format!("`{x}`"),
        Tree::Str(s) => format!("{s:?}"),
        Tree::Seq(_) => "a list".to_owned(),
        Tree::Map(_) => "a mapping".to_owned(),
    }
}

/// What reading the source gives besides the tree: entries the YAML layer
/// left out (never silently), and where each key path starts in the file.
#[derive(Default)]
pub(super) struct Read {
    pub(super) left_out: Vec<Problem>,
    /// `environments.test.postgres.mapping`, `reserved_ports[1]` → the key's
    /// (or the item's) span; a repeated key keeps its last place, whose value
    /// is the one read.
    pub(super) index: HashMap<String, crate::Span>,
}

/// The source read through Portolan's YAML layer (JSON is YAML's flow
/// syntax): mapping entries in file order with duplicates kept, aliases
/// expanded within the same budgets as ports.yaml's. Entries the layer leaves
/// out (a list as a key) come back as problems, never silently.
pub(super) fn read_tree(text: &str, language: &'static str) -> Result<(Tree, Read), ImportError> {
    let source = Source::new("source", text);
    let (root, findings) = crate::yaml::parse(&source).map_err(|d| ImportError::Syntax {
        language,
        message: format!(
            "{} (line {}, column {})",
            d.message, d.primary.span.line, d.primary.span.column
        ),
    })?;
    let left_out = findings
        .into_iter()
        .map(|d| Problem {
            message: format!("{}; not imported", d.message),
            location: Some(format!("line {}", d.primary.span.line)),
            span: Some(d.primary.span),
            kind: ProblemKind::Dropped,
        })
        .collect();
    let mut index = HashMap::new();
    index_of(&root, &mut String::new(), &mut index);
    Ok((tree_of(root), Read { left_out, index }))
}

fn index_of(
    node: &crate::yaml::Node<'_>,
    path: &mut String,
    index: &mut HashMap<String, crate::Span>,
) {
    use crate::yaml::Value;
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&k.value);
                index.insert(path.clone(), k.span);
                index_of(v, path, index);
                path.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                index.insert(path.clone(), item.span);
                index_of(item, path, index);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

pub(super) fn tree_of(node: crate::yaml::Node<'_>) -> Tree {
    use crate::yaml::Value;
    let exact = node.value.exact_int();
    match node.value {
        // Expanded by the YAML layer before the tree is read.
        Value::Null(_) | Value::Alias(_) => Tree::Null,
        Value::Bool(text) => Tree::Bool(text.eq_ignore_ascii_case("true")),
        Value::Int(n, _) => Tree::Int(exact.unwrap_or(i128::from(n))),
        Value::Float(text) => Tree::Float(float(&text)),
        Value::Str(text) => Tree::Str(text.into_owned()),
        Value::Seq(items) => Tree::Seq(items.into_iter().map(tree_of).collect()),
        Value::Map(entries) => Tree::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.value.into_owned(), tree_of(v)))
                .collect(),
        ),
    }
}

/// A YAML 1.2 float (`1.5`, `1e3`, `.inf`, `-.Inf`, `.nan`).
pub(super) fn float(text: &str) -> f64 {
    let lower = text.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        ".inf" if lower.starts_with('-') => f64::NEG_INFINITY,
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ => lower.parse().unwrap_or(f64::NAN),
    }
}

pub(super) fn parse_json(text: &str) -> Result<(Tree, Read), ImportError> {
    // JSON's own grammar decides what is JSON; the tree then comes from the
    // YAML layer, which keeps duplicate keys and order as serde_json does not.
    serde_json::from_str::<serde_json::Value>(text).map_err(|e| ImportError::Syntax {
        language: "JSON",
        message: e.to_string(),
    })?;
    read_tree(text, "JSON")
}

pub(super) fn parse_yaml(text: &str) -> Result<(Tree, Read), ImportError> {
    read_tree(text, "YAML")
}

pub(super) fn parse(text: &str, format: Format) -> Result<(Tree, Format, Read), ImportError> {
    match format {
        Format::Rerp => parse_json(text).map(|(t, p)| (t, Format::Rerp, p)),
        Format::Lumiere => parse_yaml(text).map(|(t, p)| (t, Format::Lumiere, p)),
        Format::Auto => {
            let (tree, problems) = if text.trim_start().starts_with('{') {
                match parse_json(text) {
                    Ok(tree) => tree,
                    Err(json) => parse_yaml(text).map_err(|_| json)?,
                }
            } else {
                parse_yaml(text)?
            };
            if tree.get("assignments").is_some() {
                Ok((tree, Format::Rerp, problems))
            } else if looks_lumiere(&tree) {
                Ok((tree, Format::Lumiere, problems))
            } else if tree.get("services").is_some() && tree.get("environments").is_some() {
                Err(ImportError::Unrecognized(
                    "this looks like a Portolan ports.yaml already; run `portolan check` on it"
                        .to_owned(),
                ))
            } else {
                Err(ImportError::Unrecognized(
                    "cannot tell the format: expected a port-registry.json with `assignments` \
                     (pass --format rerp) or a ports.yaml with `environments.<env>.<service>.*_port` \
                     keys (pass --format lumiere)"
                        .to_owned(),
                ))
            }
        }
    }
}

pub(super) fn looks_lumiere(tree: &Tree) -> bool {
    let Some(Tree::Map(envs)) = tree.get("environments") else {
        return false;
    };
    envs.iter().any(|(_, env)| match env {
        Tree::Map(services) => services.iter().any(|(_, svc)| match svc {
            Tree::Map(keys) => keys.iter().any(|(k, _)| port_key(k).is_some()),
            _ => false,
        }),
        _ => false,
    })
}

/// `api_port` → `api`, `port` → `api`.
pub(super) fn port_key(key: &str) -> Option<&str> {
    match key {
        "port" => Some("api"),
        _ => key.strip_suffix("_port").filter(|s| !s.is_empty()),
    }
}

/// `api_mapping` → `api`, `mapping` → `api`.
pub(super) fn mapping_key(key: &str) -> Option<&str> {
    match key {
        "mapping" => Some("api"),
        _ => key.strip_suffix("_mapping").filter(|s| !s.is_empty()),
    }
}
