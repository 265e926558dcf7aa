//! The `render:` section: the built-in artifacts and user templates Portolan
//! owns and writes whole.

use super::Text;
use crate::source::Span;

/// The `render:` section: files Portolan owns and writes whole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Render {
    /// The directory of the built-in artifacts, relative to ports.yaml (`generated`).
    pub dir: Text,
    /// The built-in artifacts to render, sorted.
    pub artifacts: Vec<Artifact>,
    /// User templates, in the order of the file.
    pub templates: Vec<Template>,
    /// `scrape`: the named ports the `prometheus` artifact scrapes (`metrics`).
    pub scrape: Vec<String>,
}

impl Render {
    /// The defaults when ports.yaml has no `render:` section: every built-in
    /// artifact into `generated/`.
    pub fn defaults(span: Span) -> Self {
        Render {
            dir: Text {
                value: "generated".to_owned(),
                span,
            },
            artifacts: Artifact::DEFAULT.to_vec(),
            templates: Vec::new(),
            scrape: vec!["metrics".to_owned()],
        }
    }
}

/// A built-in artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Artifact {
    /// `ports.json`: every port, resolved.
    Json,
    /// `PORTS.md`: the tables of the docs.
    Markdown,
    /// `<environment>.env` per environment.
    Env,
    /// `docker-compose.<environment>.yaml` per environment.
    Compose,
    /// `ports.schema.json`: the JSON Schema of ports.yaml, for editors.
    Schema,
    /// `kubernetes.<environment>.yaml` per environment: a Service per service.
    /// Not rendered unless listed.
    Kubernetes,
    /// `ports.py`: the constants for Python services. Not rendered unless listed.
    Python,
    /// `ports.ts`: the constants for TypeScript services. Not rendered unless listed.
    TypeScript,
    /// `prometheus.<environment>.yml` per environment: a Prometheus config
    /// scraping the `render.scrape` ports. Not rendered unless listed.
    Prometheus,
}

impl Artifact {
    /// Every built-in artifact.
    pub const ALL: [Artifact; 9] = [
        Artifact::Json,
        Artifact::Markdown,
        Artifact::Env,
        Artifact::Compose,
        Artifact::Schema,
        Artifact::Kubernetes,
        Artifact::Python,
        Artifact::TypeScript,
        Artifact::Prometheus,
    ];

    /// What `render.artifacts` means when it is not given.
    pub const DEFAULT: [Artifact; 5] = [
        Artifact::Json,
        Artifact::Markdown,
        Artifact::Env,
        Artifact::Compose,
        Artifact::Schema,
    ];

    /// The name ports.yaml uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Artifact::Json => "ports.json",
            Artifact::Markdown => "PORTS.md",
            Artifact::Env => "env",
            Artifact::Compose => "compose",
            Artifact::Schema => "ports.schema.json",
            Artifact::Kubernetes => "kubernetes",
            Artifact::Python => "ports.py",
            Artifact::TypeScript => "ports.ts",
            Artifact::Prometheus => "prometheus",
        }
    }

    /// Parses the name ports.yaml uses.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// A user template rendered to a path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Template {
    /// The template file, relative to ports.yaml.
    pub template: Text,
    /// Where it renders to, relative to ports.yaml; may hold `{environment}` and `{service}`.
    pub output: Text,
}
