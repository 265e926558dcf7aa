//! The build-script entry points: read ports.yaml, fail the build with located
//! errors, or write the generated constants into `OUT_DIR`.
//!
//! Two tiers, as prost-build has: [`generate`] for the common one-line
//! `build.rs`, and [`Builder`] for everything else.

use crate::diag::{self, Severity};
use crate::manifest::{self, Manifest};
use crate::model::{Registry, check_relative_path};
use crate::source::Source;
use crate::validate::{Report, check};
use crate::{Error, codegen};
use std::path::{Path, PathBuf};

/// Generates `$OUT_DIR/ports.rs` from `registry` (relative to the package root).
///
/// Never panics: problems are reported to cargo as one `cargo::error=` line per
/// finding, which fails the build with `ports.yaml:L:C: …` messages.
pub fn generate(registry: impl AsRef<Path>) {
    // Everything worth saying has been said to cargo; the result adds nothing.
    let _ = Builder::new().registry(registry).emit();
}

/// Settings for generating the constants, finished by [`Builder::emit`].
#[derive(Clone, Debug)]
pub struct Builder {
    registry: PathBuf,
    out_dir: Option<PathBuf>,
    file_name: String,
    cargo_directives: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            registry: PathBuf::from("ports.yaml"),
            out_dir: None,
            file_name: "ports.rs".to_owned(),
            cargo_directives: true,
        }
    }
}

impl Builder {
    /// `ports.yaml` into `$OUT_DIR/ports.rs`, talking to cargo.
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry to read. A relative path is resolved against
    /// `CARGO_MANIFEST_DIR` when cargo sets it, and printed as written.
    pub fn registry(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.registry = path.as_ref().to_path_buf();
        self
    }

    /// Where to write (default: `OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The generated file's name (default: `ports.rs`).
    pub fn file_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.file_name = name.into();
        self
    }

    /// Whether to print `cargo::` directives: `rerun-if-changed` for the
    /// registry, and one `cargo::error=`/`cargo::warning=` line per finding
    /// (default: true). Turn off when calling from outside a build script.
    pub fn cargo_directives(&mut self, yes: bool) -> &mut Self {
        self.cargo_directives = yes;
        self
    }

    fn resolved_registry(&self) -> PathBuf {
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(root) if self.registry.is_relative() => Path::new(&root).join(&self.registry),
            _ => self.registry.clone(),
        }
    }

    /// Reads, validates and, when valid, writes the generated file (only if its
    /// content changed, so dependents are not rebuilt for nothing).
    pub fn emit(&self) -> Result<Report, Error> {
        let result = self.try_emit();
        if self.cargo_directives
            && let Err(e @ (Error::Io { .. } | Error::NoOutDir | Error::Codegen(_))) = &result
        {
            println!("cargo::error={}", e.to_string().replace('\n', " "));
        }
        result
    }

    fn try_emit(&self) -> Result<Report, Error> {
        let path = self.resolved_registry();
        if self.cargo_directives {
            println!("cargo::rerun-if-changed={}", path.display());
        }
        let bytes = crate::source::read_contained(&path, crate::source::dir_of(&path), u64::MAX)
            .map_err(|e| Error::io(&self.registry, e))?;
        // Cargo prints these lines from wherever it was run: a path that
        // climbs out of the crate (`../ports.yaml`) is shown absolute.
        let shown = match self.registry.starts_with("..") {
            true => path.canonicalize().unwrap_or_else(|_| path.clone()),
            false => self.registry.clone(),
        };
        let source = Source::from_bytes(shown.display().to_string(), bytes);
        let report = check(&source);
        if self.cargo_directives {
            // Every error, the first few warnings of each kind and a count of the rest.
            let (shown, hidden) = diag::shown(&report.diagnostics, 5);
            for d in shown {
                let kind = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                println!("cargo::{kind}={}", diag::plain(&source, d));
            }
            for (code, count) in hidden {
                println!(
                    "cargo::warning={}; `portolan check --format json` lists them",
                    diag::hidden_line(code, count)
                );
            }
        }
        if !report.is_ok() {
            if self.cargo_directives {
                println!(
                    "cargo::warning=run `portolan check` to see these findings with the lines of {} they point at",
                    source.name()
                );
            }
            return Err(Error::Invalid {
                diagnostics: report.diagnostics,
            });
        }
        let Some(registry) = report.valid_registry() else {
            return Err(Error::Invalid {
                diagnostics: report.diagnostics,
            });
        };
        let code = codegen::source(registry)?;
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir)?,
        };
        let generated = out_dir.join(&self.file_name);
        crate::transaction::replace_if_changed(&generated, code.as_bytes())
            .map_err(|e| Error::io(&generated, e))?;
        if self.cargo_directives {
            self.check_artifacts(&path, &registry);
        }
        Ok(report)
    }

    /// Warns (fails, when `CI` is set) when the committed artifacts were
    /// rendered from a different ports.yaml: the price is hashing the inputs
    /// the manifest names, with no template engine in the build.
    fn check_artifacts(&self, registry_path: &Path, registry: &Registry) {
        let root = crate::source::dir_of(registry_path);
        let manifest_path = root
            .join(&registry.render.dir.value)
            .join(manifest::FILE_NAME);
        // Never synced: nothing to compare against (`portolan check` reports missing files).
        let Some(text) = crate::source::read_contained(&manifest_path, root, MAX_INPUT)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
        else {
            return;
        };
        println!("cargo::rerun-if-changed={}", manifest_path.display());
        println!("cargo::rerun-if-env-changed=CI");
        let mut manifest = Manifest::parse(&text);
        // The manifest is a file in the repository: only the inputs this
        // registry names are read (ports.yaml and its templates), each a
        // regular file inside the repository.
        let registry_name = registry_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        manifest.inputs.retain(|(input, _)| {
            Some(input) == registry_name.as_ref()
                || registry
                    .render
                    .templates
                    .iter()
                    .any(|t| t.template.value == *input)
        });
        for (input, _) in &manifest.inputs {
            println!("cargo::rerun-if-changed={}", root.join(input).display());
        }
        let stale = manifest.stale_inputs(|input| {
            check_relative_path(input, false).ok()?;
            crate::source::read_contained(&root.join(input), root, MAX_INPUT).ok()
        });
        if stale.is_empty() {
            return;
        }
        let kind = if in_ci() { "error" } else { "warning" };
        println!(
            "cargo::{kind}={}/ was rendered from a different {}; run `portolan sync` and commit the result",
            registry.render.dir.value.trim_end_matches('/'),
            stale.join(", ")
        );
    }
}

/// The largest input hashed when checking the artifacts (a template or
/// ports.yaml); a larger one counts as changed.
const MAX_INPUT: u64 = 64 << 20;

/// Whether the build runs in CI (`CI` set, and not to `false` or `0`).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_returns_the_findings_of_an_invalid_registry_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(
            dir.join("ports.yaml"),
            "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  a: { ports: { api: 8000 } }\n  b: { ports: { api: 8000 } }\n",
        )
        .unwrap();
        let out = dir.join("out");
        std::fs::create_dir(&out).unwrap();
        let result = Builder::new()
            .registry(dir.join("ports.yaml"))
            .out_dir(&out)
            .cargo_directives(false)
            .emit();
        let Err(Error::Invalid { diagnostics }) = result else {
            panic!("expected the findings, got {result:?}");
        };
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["port-conflict"]);
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }
}
