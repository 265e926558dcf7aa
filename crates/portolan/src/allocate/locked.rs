//! The edit under the registry's lock: one read, one parse, one write
//! transaction.

use super::*;

/// What [`locked`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing: compute the edit only (a dry run).
    DryRun,
    /// ports.yaml.
    Registry,
    /// ports.yaml and every file `sync` would change for the edited registry,
    /// in one transaction.
    Sync,
}

/// What [`locked`] did.
#[derive(Debug)]
pub struct Locked<T> {
    /// What `edit` returned.
    pub value: T,
    /// The files written, ports.yaml among them (`None` for a dry run).
    pub plan: Option<Plan>,
}

/// ports.yaml as [`locked`] hands it to its edit: the file, its valid
/// registry, and its YAML tree for the editor, from one parse.
pub struct Editing<'a> {
    /// ports.yaml as read under the lock.
    pub source: &'a Source,
    /// Its registry.
    pub registry: Valid<'a>,
    doc: &'a Document<'a>,
}

impl Editing<'_> {
    /// [`assign`] on this file.
    pub fn assign(&self, request: &Request) -> Result<Edited, Refusal> {
        assign_in(self.doc, self.source, self.registry.registry(), request)
    }

    /// [`release`] on this file.
    pub fn release(&self, service: &str, name: Option<&str>) -> Result<Edited, Refusal> {
        release_in(
            self.doc,
            self.source,
            self.registry.registry(),
            service,
            name,
        )
    }
}

/// Runs `edit` on ports.yaml under the registry's lock: waits for other runs
/// that write, re-reads the file under the lock (so no run works from a stale
/// copy), and writes the new text, with `mode` [`Mode::Sync`] together with
/// every file the edited registry changes, all or nothing (see
/// [`crate::transaction`]). `edit` gets the file with its valid registry
/// ([`Editing`]), parsed once for both the model and the editor.
pub fn locked<T>(
    path: &Path,
    mode: Mode,
    permit: Permit,
    edit: impl FnOnce(&Editing<'_>) -> Result<(String, T), Refusal>,
) -> Result<Locked<T>, LockedError> {
    let lock = Lock::acquire(path).map_err(LockedError::Io)?;
    let source = Source::read(path).map_err(LockedError::Io)?;
    let (report, tree) = crate::validate::check_keeping_tree(&source);
    let Some(registry) = report.valid_registry() else {
        return Err(LockedError::Invalid(Box::new((
            report.diagnostics.clone(),
            source,
        ))));
    };
    let doc = match tree {
        Some(tree) => Document::from_tree(source.text(), tree),
        None => Document::parse(source.text()),
    }
    .map_err(|e| LockedError::Refused(Refusal(format!("{}: {e}", source.name()))))?;
    let editing = Editing {
        source: &source,
        registry,
        doc: &doc,
    };
    let (text, value) = edit(&editing).map_err(LockedError::Refused)?;
    let mut plan = match mode {
        Mode::DryRun => return Ok(Locked { value, plan: None }),
        Mode::Registry => Plan::registry_only(&source),
        Mode::Sync => {
            let edited = Source::new(source.name(), text.as_str());
            let report = crate::validate::check(&edited);
            let Some(registry) = report.valid_registry() else {
                return Err(LockedError::Refused(Refusal(format!(
                    "the edit would make {} invalid; nothing was written",
                    source.name()
                ))));
            };
            crate::sync::plan(&edited, registry).map_err(LockedError::Sync)?
        }
    };
    if text != source.text() {
        plan.edit_registry(&source, text);
    }
    plan.apply(&lock, permit).map_err(LockedError::Write)?;
    Ok(Locked {
        value,
        plan: Some(plan),
    })
}

/// Why [`locked`] did not edit; in every case nothing was written, except
/// where [`LockedError::Write`] says it could not restore a file.
#[derive(Debug)]
pub enum LockedError {
    /// The registry has errors; these are its findings.
    Invalid(Box<(crate::diag::Diagnostics, Source)>),
    /// The edit was refused.
    Refused(Refusal),
    /// The edited registry's files could not be synced.
    Sync(Vec<Problem>),
    /// Writing failed.
    Write(Problem),
    /// Reading or locking failed.
    Io(crate::Error),
}
