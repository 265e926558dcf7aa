//! The `sync:` section: files the team owns, and the values and list items
//! Portolan keeps in them.

use super::Text;

/// How a team file is read and edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// YAML: values by key path; owned lists.
    Yaml,
    /// JSON: values by key path.
    Json,
    /// TOML: values by key path (tables and arrays), through toml_edit.
    Toml,
    /// dotenv: `KEY=value` lines (`export KEY=value`, quotes kept), values by variable name.
    Dotenv,
    /// Any text (Dockerfile, Makefile, Python): values by a line pattern with one `(…)` group.
    Text,
}

impl FileFormat {
    /// Every format, as ports.yaml names them.
    pub const ALL: [FileFormat; 5] = [
        FileFormat::Yaml,
        FileFormat::Json,
        FileFormat::Toml,
        FileFormat::Dotenv,
        FileFormat::Text,
    ];

    /// The name ports.yaml uses (`format: toml`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Yaml => "yaml",
            FileFormat::Json => "json",
            FileFormat::Toml => "toml",
            FileFormat::Dotenv => "dotenv",
            FileFormat::Text => "text",
        }
    }

    /// Parses the name ports.yaml uses.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The format a file's name says: `.yaml`/`.yml`, `.json`, `.toml`, and
    /// `.env`, `*.env` or `.env.*` for dotenv; `None` for any other name
    /// (a Dockerfile or Makefile says `format: text`).
    pub fn from_path(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e);
        match ext {
            Some("yaml" | "yml") => Some(FileFormat::Yaml),
            Some("json") => Some(FileFormat::Json),
            Some("toml") => Some(FileFormat::Toml),
            Some("env") => Some(FileFormat::Dotenv),
            _ if name == ".env" || name.starts_with(".env.") => Some(FileFormat::Dotenv),
            _ => None,
        }
    }
}

/// A file the team owns, with the values Portolan keeps in it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncFile {
    /// The file, relative to ports.yaml; may hold `{environment}` and `{service}`.
    pub file: Text,
    /// How it is read and edited (`format:`, else its name).
    pub format: FileFormat,
    /// A template (relative to ports.yaml) a missing file is created from.
    pub create: Option<Text>,
    /// Owned scalar values: where (a key path, a variable name or a line
    /// pattern, by format) and the value template, in the order of the file.
    pub values: Vec<(Text, Text)>,
    /// Owned lists: Portolan's items in lists the team shares.
    pub lists: Vec<OwnedList>,
    /// `services:`, the services the entry covers (`None`: all).
    pub services: Option<Vec<String>>,
    /// `environments:`, the environments the entry covers (`None`: all).
    pub environments: Option<Vec<String>>,
}

impl SyncFile {
    /// Whether the entry covers a service and an environment (`None`: the
    /// path or row does not name one).
    pub fn covers(&self, service: Option<&str>, environment: Option<&str>) -> bool {
        let within = |filter: &Option<Vec<String>>, name: Option<&str>| match (filter, name) {
            (Some(names), Some(name)) => names.iter().any(|n| n == name),
            _ => true,
        };
        within(&self.services, service) && within(&self.environments, environment)
    }
}

/// Portolan's items in a list: one per service port of the environment,
/// told from the team's items by a marker (see [`OwnedList::marker`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OwnedList {
    /// The key path of the list.
    pub key: Text,
    /// A comment template written above each item.
    pub comment: Option<Text>,
    /// `key:`, the item key whose value identifies Portolan's items.
    pub item_key: Option<Text>,
    /// The item's keys and value templates, in the order of the file.
    pub item: Vec<(Text, Text)>,
}

impl OwnedList {
    /// The fixed text the comment template starts with (`portolan:` in
    /// `portolan: {{ service }} {{ name }}`): the comment lines that start
    /// with it mark Portolan's items. `None` when it starts with a variable.
    pub fn marker(&self) -> Option<&str> {
        let comment = &self.comment.as_ref()?.value;
        let end = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|open| comment.find(open))
            .min()
            .unwrap_or(comment.len());
        Some(comment[..end].trim()).filter(|m| !m.is_empty())
    }
}
