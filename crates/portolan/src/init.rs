//! A starting point for a repository that adopts Portolan: a ports.yaml that
//! checks green, and the `ports` crate services import their ports from.
//!
//! [`files`] only computes the files; `portolan init` writes them (never
//! over an existing file) and renders `generated/`.

use std::path::Path;

/// Where the `ports` crate gets Portolan's build-time library from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dependency {
    /// Portolan's repository, by git.
    Git,
    /// A checkout of Portolan on this machine (its repository root).
    Path(String),
}

/// Portolan's repository, as its crates' manifests name it.
pub(crate) const REPOSITORY: &str = "https://github.com/portolan-dev/portolan";

/// What `portolan init` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The project's name (`project:` in ports.yaml).
    pub project: String,
    /// The directory of the `ports` crate, relative to ports.yaml's, when one
    /// is wanted.
    pub crate_dir: Option<String>,
    /// Where that crate gets Portolan from.
    pub dependency: Dependency,
}

/// A project name from a directory name: lowercase letters, digits, `-` and
/// `_`, starting with a letter (`My App` → `my-app`); `project` when nothing
/// is left.
pub fn project_name(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name = String::new();
    for c in raw.chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' => name.push(c),
            _ if !name.is_empty() && !name.ends_with('-') => name.push('-'),
            _ => {}
        }
    }
    let name = name
        .trim_end_matches('-')
        .trim_start_matches(|c: char| !c.is_ascii_lowercase());
    if name.is_empty() {
        "project".to_owned()
    } else {
        name.to_owned()
    }
}

/// The starter ports.yaml: one environment, one example service, comments
/// saying what to change.
pub(crate) fn starter(project: &str) -> String {
    format!(
        "# yaml-language-server: $schema=generated/ports.schema.json
# Every port of {project}'s services: the single source of truth.
# `portolan check` explains any finding; `portolan sync` updates the files
# that repeat these ports (generated/, and the values listed under `sync:`).
project: {project}

# Each environment gets its own range of host ports, so environments can run
# side by side on one host. To add one, declare it here, e.g.
#   staging: {{ range: 9000-9999 }}
# then give every port a value for it (`portolan check` lists each one).
environments:
  development: {{ range: 8000-8999 }}

# One entry per service, a port per environment. `portolan assign NAME` adds
# a service with the lowest port free in every environment; `portolan release
# NAME` removes one.
services:
  web:
    description: An example service; rename it, or `portolan release web`
    ports:
      api: {{ development: 8000 }}
"
    )
}

/// The files to write, relative to ports.yaml's directory, in order.
pub fn files(options: &Options) -> Vec<(String, String)> {
    let mut out = vec![("ports.yaml".to_owned(), starter(&options.project))];
    let Some(dir) = &options.crate_dir else {
        return out;
    };
    let dir = dir.trim_end_matches('/');
    let depth = dir
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .count();
    let registry = format!("{}ports.yaml", "../".repeat(depth));
    let dependency = match &options.dependency {
        Dependency::Git => format!("git = \"{REPOSITORY}\""),
        Dependency::Path(path) => format!(
            "path = {}",
            toml_string(&format!("{}/crates/portolan", path.trim_end_matches('/')))
        ),
    };
    out.push((
        format!("{dir}/Cargo.toml"),
        format!(
            "[package]
name = \"ports\"
description = \"Typed port constants generated from ports.yaml\"
version = \"0.1.0\"
edition = \"2024\"
publish = false

# Only the build script needs Portolan: it reads ports.yaml, fails the build
# with located errors, and writes the constants.
[build-dependencies]
portolan = {{ {dependency}, default-features = false, features = [\"codegen\"] }}
"
        ),
    ));
    out.push((
        format!("{dir}/build.rs"),
        format!(
            "//! Generates the port constants from ports.yaml (paths are relative to this crate).
fn main() {{
    portolan::build::generate({registry:?});
}}
"
        ),
    ));
    out.push((
        format!("{dir}/src/lib.rs"),
        format!(
            "//! Every port of {project}'s services, generated from `{registry}` at build time.
//!
//! Services import ports from here instead of hardcoding them:
//! `ports::development::WEB_API`, `ports::web::api(env)`, and
//! `ports::Environment::from_env()` for the environment a process runs in.

#![deny(missing_docs)]

include!(concat!(env!(\"OUT_DIR\"), \"/ports.rs\"));
",
            project = options.project
        ),
    ));
    out
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `files` under `root`, creating each; refused, with nothing
/// written, when any of them exists (checked again under the lock).
pub fn create(root: &Path, files: &[(String, String)]) -> Result<(), crate::sync::Problem> {
    let registry = root.join("ports.yaml");
    let lock = crate::transaction::Lock::acquire(&registry).map_err(|e| crate::sync::Problem {
        file: registry.display().to_string(),
        at: None,
        message: e.to_string(),
    })?;
    let writes: Vec<crate::transaction::Write<'_>> = files
        .iter()
        .map(|(path, text)| crate::transaction::Write {
            rel: path,
            shown: path.clone(),
            old: None,
            new: Some(text.as_bytes()),
            journal: false,
        })
        .collect();
    crate::transaction::commit(&lock, &writes, crate::transaction::Permit::default(), &[])
        .map_err(crate::sync::Problem::from)
}

/// Registries of other tools in `dir` that `portolan import` reads.
pub fn importable(dir: &Path) -> Vec<String> {
    ["port-registry.json", "ports.yml", "config/ports.yaml"]
        .into_iter()
        .filter(|name| dir.join(name).is_file())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_is_valid() {
        let report = crate::check(&crate::Source::new("ports.yaml", starter("acme")));
        assert!(report.is_ok(), "{:?}", report.diagnostics);
        assert_eq!(report.diagnostics.len(), 0, "{:?}", report.diagnostics);
    }

    #[test]
    fn project_names_are_valid_names() {
        assert_eq!(project_name(Path::new("/src/My App")), "my-app");
        assert_eq!(project_name(Path::new("/src/9lives")), "lives");
        assert_eq!(project_name(Path::new("/")), "project");
        assert_eq!(project_name(Path::new("/x/acme_platform")), "acme_platform");
    }

    #[test]
    fn the_crate_finds_the_registry_from_its_directory() {
        let files = files(&Options {
            project: "acme".into(),
            crate_dir: Some("crates/ports".into()),
            dependency: Dependency::Path("/opt/portolan".into()),
        });
        let build = &files
            .iter()
            .find(|(p, _)| p == "crates/ports/build.rs")
            .unwrap()
            .1;
        assert!(build.contains("generate(\"../../ports.yaml\")"), "{build}");
        let manifest = &files
            .iter()
            .find(|(p, _)| p == "crates/ports/Cargo.toml")
            .unwrap()
            .1;
        assert!(
            manifest.contains("path = \"/opt/portolan/crates/portolan\""),
            "{manifest}"
        );
    }
}
