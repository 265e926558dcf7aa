//! The edit under the registry's lock: one read, one parse, one write
//! transaction.

use super::*;
use std::cell::RefCell;

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
    /// The last edited text and its report, from the check every edit
    /// passes: a sync of that text plans from it instead of reading it again.
    checked: RefCell<Option<(String, Report)>>,
}

impl Editing<'_> {
    /// [`assign`] on this file.
    pub fn assign(&self, request: &Request) -> Result<Edited, Refusal> {
        let (edited, report) = assign_in(self.doc, self.source, self.registry.registry(), request)?;
        self.checked.replace(Some((edited.text.clone(), report)));
        Ok(edited)
    }

    /// [`release`] on this file.
    pub fn release(&self, service: &str, name: Option<&str>) -> Result<Edited, Refusal> {
        let (edited, report) = release_in(
            self.doc,
            self.source,
            self.registry.registry(),
            service,
            name,
        )?;
        self.checked.replace(Some((edited.text.clone(), report)));
        Ok(edited)
    }

    /// The report of `text` when an edit already checked exactly that text.
    fn checked(&self, text: &str) -> Option<Report> {
        self.checked
            .take()
            .and_then(|(checked, report)| (checked == text).then_some(report))
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
        checked: RefCell::new(None),
    };
    let (text, value) = edit(&editing).map_err(LockedError::Refused)?;
    let mut plan = match mode {
        Mode::DryRun => return Ok(Locked { value, plan: None }),
        Mode::Registry => Plan::registry_only(&source),
        Mode::Sync => {
            let edited = Source::new(source.name(), text.as_str());
            let report = editing
                .checked(&text)
                .unwrap_or_else(|| crate::validate::check(&edited));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A sync plans from the edit's own check only for the very text checked.
    #[test]
    fn an_edit_s_report_serves_only_the_text_it_checked() {
        let source = Source::new(
            "ports.yaml",
            "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n",
        );
        let (report, tree) = crate::validate::check_keeping_tree(&source);
        let doc = Document::from_tree(source.text(), tree.unwrap()).unwrap();
        let editing = Editing {
            source: &source,
            registry: report.valid_registry().unwrap(),
            doc: &doc,
            checked: RefCell::new(None),
        };
        let request = Request {
            service: "billing".into(),
            ..Request::default()
        };
        let edited = editing.assign(&request).unwrap();
        let checked = editing.checked(&edited.text).expect("the edit's report");
        assert!(checked.is_ok());
        assert_eq!(checked.registry.unwrap().services.len(), 2);
        // Taken once; and a text the edit did not produce gets none.
        assert!(editing.checked(&edited.text).is_none());
        let edited = editing.release("web", None).unwrap();
        assert!(
            editing
                .checked(&format!("{}# more\n", edited.text))
                .is_none()
        );
    }
}
