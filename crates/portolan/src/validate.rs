//! The rules a registry must follow, each reported with its location.
//!
//! [`check`] is the whole front half of the pipeline: it loads a source and runs
//! every rule, collecting all findings rather than stopping at the first.
//! Conflict detection uses one 65,536-slot occupancy table per host, so it is
//! linear in the number of ports however large the registry.
//!
//! The source keeps one file per kind of rule:
//!
//! - `validate/names.rs`: names that collide once generated (Rust, `.env`,
//!   Kubernetes, ports.py, ports.ts);
//! - `validate/environments.rs`: environment ranges that overlap, a port
//!   shared by environments on one host;
//! - `validate/ports.rs`: every port against its range, the other holders,
//!   the reserved ports and the NodePort range, and the warnings.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::load;
use crate::model::{Binding, Registry};
use crate::source::Source;

mod environments;
mod names;
mod ports;

/// What [`check`] found: the registry (when it could be read at all) and every finding.
#[derive(Debug)]
pub struct Report {
    /// The model, present unless the file could not be parsed. It may still
    /// have errors: use it for codegen only when [`Report::is_ok`].
    pub registry: Option<Registry>,
    /// Every finding, sorted by location.
    pub diagnostics: Diagnostics,
}

impl Report {
    /// Whether the registry is usable: it was read and has no errors.
    pub fn is_ok(&self) -> bool {
        self.registry.is_some() && !self.diagnostics.has_errors()
    }

    /// The registry, if it has no errors.
    pub fn valid_registry(&self) -> Option<Valid<'_>> {
        self.registry
            .as_ref()
            .filter(|_| !self.diagnostics.has_errors())
            .map(Valid)
    }
}

/// A registry that passed every rule, as [`Report::valid_registry`] gives
/// it: what code generation, rendering, `sync` and `assign` take, so none of
/// them can be handed a registry with errors.
#[derive(Clone, Copy, Debug)]
pub struct Valid<'r>(&'r Registry);

impl<'r> Valid<'r> {
    /// The registry.
    pub fn registry(self) -> &'r Registry {
        self.0
    }
}

impl std::ops::Deref for Valid<'_> {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        self.0
    }
}

/// Loads and validates a registry.
pub fn check(source: &Source) -> Report {
    let (registry, diagnostics) = load(source);
    let found = registry.as_ref().map(validate).unwrap_or_default();
    Report::new(registry, diagnostics, found)
}

/// [`check`], also returning the file's YAML tree as written, for an editor.
#[cfg(feature = "allocate")]
pub(crate) fn check_keeping_tree(source: &Source) -> (Report, Option<crate::yaml::Tree<'_>>) {
    let (registry, diagnostics, tree) = crate::load::load_keeping_tree(source, true);
    let found = registry.as_ref().map(validate).unwrap_or_default();
    (Report::new(registry, diagnostics, found), tree)
}

impl Report {
    /// The loader's findings and the rules', sorted.
    fn new(
        registry: Option<Registry>,
        mut diagnostics: Diagnostics,
        found: Vec<Diagnostic>,
    ) -> Self {
        for d in found {
            diagnostics.push(d);
        }
        diagnostics.sort();
        Report {
            registry,
            diagnostics,
        }
    }
}

/// [`check`], with `then` run on the loaded registry beside the rules (on a
/// second thread), for work that needs the model but is only wanted when the
/// registry turns out valid: `portolan check` renders and compares every
/// artifact this way, while validation runs. `then`'s result is returned only
/// for a registry without errors.
pub fn check_then<T: Send>(
    source: &Source,
    then: impl FnOnce(Valid<'_>) -> T + Send,
) -> (Report, Option<T>) {
    let (registry, diagnostics) = load(source);
    let registry = match registry {
        Some(registry) if !diagnostics.has_errors() => registry,
        // A registry that did not load cleanly is invalid: no speculation.
        registry => {
            let found = registry.as_ref().map(validate).unwrap_or_default();
            return (Report::new(registry, diagnostics, found), None);
        }
    };
    let (found, result) = std::thread::scope(|scope| {
        // Speculative: the result is kept only if the rules find no error.
        let result = scope.spawn(|| then(Valid(&registry)));
        let found = validate(&registry);
        (found, result.join())
    });
    let report = Report::new(Some(registry), diagnostics, found);
    let result = match result {
        // Work on an invalid registry is thrown away, however it ended: it
        // may rely on what the rules just refused.
        _ if !report.is_ok() => None,
        Ok(result) => Some(result),
        // A panic on a valid registry is the caller's; it resumes on its thread.
        Err(panic) => std::panic::resume_unwind(panic),
    };
    (report, result)
}

/// Runs every rule on a loaded registry.
pub fn validate(registry: &Registry) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Every port in file order: of two holders, the later one is reported.
    let mut bindings: Vec<Binding> = registry.bindings().collect();
    bindings.sort_by_key(|b| b.span.start);
    names::identifiers(registry, &mut out);
    // Names that collide in Rust collide in .env too: say it once.
    if !out.iter().any(|d| d.code == Code::IdentifierCollision) {
        names::env_variables(registry, &bindings, &mut out);
        names::modules(registry, &bindings, &mut out);
        names::kubernetes_names(registry, &mut out);
    }
    environments::range_overlaps(registry, &mut out);
    environments::shared_across_environments(registry, &mut out);
    ports::PortRules::new(registry, bindings).check(&mut out);
    out
}
