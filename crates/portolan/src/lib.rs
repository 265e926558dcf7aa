//! Portolan: one `ports.yaml` as the single source of truth for every port a
//! team's services use, in every environment.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! ports.yaml ─▶ source ─▶ yaml ─▶ load ─▶ model ─▶ validate ─┬─▶ codegen, build   (build.rs → OUT_DIR)
//!                          │                                  ├─▶ render           (generated/, templates)
//!                          │                                  ├─▶ sync             (plan → edit per file → transaction)
//!                          │                                  ├─▶ allocate         (assign / release, same transaction)
//!                          │                                  └─▶ doctor           (who listens on the ports)
//!                          └─▶ edit (the same tree: byte ranges, styles, anchors; other formats beside it)
//! import (other registries, read through yaml) ─▶ a ports.yaml text
//! diag renders every finding; manifest records what sync wrote; init starts a repository;
//! occupancy (who holds each port) is what validate and allocate both ask.
//! ```
//!
//! # In a build script
//!
//! The crate that services depend on (called `ports` by convention) has this
//! `build.rs`:
//!
//! ```no_run
//! // build.rs: the whole body of `fn main`.
//! portolan::build::generate("ports.yaml");
//! ```
//!
//! and this `src/lib.rs`:
//!
//! ```text
//! include!(concat!(env!("OUT_DIR"), "/ports.rs"));
//! ```
//!
//! A registry with errors fails `cargo build` with one located line per finding
//! (`ports.yaml:14:11: error[port-conflict]: …`).
//!
//! # As a library
//!
//! ```
//! use portolan::{Source, validate};
//!
//! let source = Source::new("ports.yaml", "project: demo\nenvironments:\n  local: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n");
//! let report = validate::check(&source);
//! assert!(report.is_ok());
//! let registry = report.registry.unwrap();
//! assert_eq!(registry.bindings().count(), 1);
//! ```
//!
//! # Features
//!
//! - `codegen` (default): [`codegen`] and [`build`], what a build script needs.
//! - `snippets`: rustc-style diagnostics ([`diag::snippet`]).
//! - `json`: diagnostics as JSON ([`diag::json`]).
//! - `sync`: `render`, `edit`, `sync` and `init` (minijinja, diffs, temporary files).
//! - `import`: other registries into a ports.yaml text ([`import`]).
//! - `allocate`: `assign`/`release` under a lock.
//! - `doctor`: who listens on the configured ports (procfs, Linux).
//! - `schema`: the JSON Schema of ports.yaml (schemars).

#[cfg(feature = "allocate")]
pub mod allocate;
pub mod diag;
#[cfg(feature = "doctor")]
pub mod doctor;
#[cfg(feature = "sync")]
pub mod edit;
mod ident;
#[cfg(feature = "import")]
pub mod import;
#[cfg(feature = "sync")]
pub mod init;
mod load;
pub mod manifest;
pub mod model;
mod occupancy;
#[cfg(feature = "sync")]
pub mod render;
#[cfg(feature = "schema")]
pub mod schema;
pub mod source;
#[cfg(feature = "sync")]
pub mod sync;
#[cfg(any(feature = "codegen", feature = "sync"))]
pub mod transaction;
pub mod validate;
mod yaml;

#[cfg(feature = "codegen")]
pub mod build;
#[cfg(feature = "codegen")]
pub mod codegen;

pub use diag::{Code, Diagnostic, Diagnostics, Severity};
pub use load::load;
pub use model::{Port, Registry};
pub use source::{Source, Span};
pub use validate::{Report, Valid, check};

use std::fmt;
use std::path::{Path, PathBuf};

/// A failure that is not a finding about the registry: I/O, or misuse of the API.
/// Findings are never errors; they are [`Diagnostic`]s in a [`Report`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The registry's lock (its directory, or `.ports.yaml.lock`) could not
    /// be opened or taken.
    Lock {
        /// What was locked.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The registry has errors.
    Invalid {
        /// Every finding, errors and warnings, sorted by location.
        diagnostics: Diagnostics,
    },
    /// No output directory: neither set on the builder nor `OUT_DIR` in the environment.
    NoOutDir,
    /// Generated code did not parse (a bug in Portolan).
    Codegen(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Lock { path, source } => write!(f, "cannot lock {}: {source}", path.display()),
            Error::Invalid { diagnostics } => {
                let errors = diagnostics.errors().max(1);
                write!(
                    f,
                    "the registry has {errors} error{}",
                    if errors == 1 { "" } else { "s" }
                )
            }
            Error::NoOutDir => f.write_str(
                "no output directory: call `Builder::out_dir`, or run from a build script where cargo sets OUT_DIR",
            ),
            Error::Codegen(e) => write!(f, "generated code does not parse ({e}); please report this"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Lock { source, .. } => Some(source),
            _ => None,
        }
    }
}
