//! Writing a plan: every change in one transaction, the manifest last; and
//! the plan of an edit of the registry alone (assign and release without
//! sync).

use super::*;

/// The manifest a sync records while it writes: the union of the one it
/// replaces and the one it writes, listing the team files it edits.
struct Interim<'p> {
    /// The manifest's change.
    change: &'p Change,
    /// The manifest as it is on disk.
    old: &'p str,
    /// The union, rendered.
    both: String,
}

impl Plan {
    /// Writes every change, all-or-nothing, under `lock` (taken before the
    /// files were read, so nothing changes between the plan and the write):
    /// each file is checked to be still what the plan read, staged beside
    /// itself, and only then are all renamed into place; a failure puts back
    /// what was already replaced. See [`crate::transaction`].
    pub fn apply(&self, lock: &Lock, permit: Permit) -> Result<(), Problem> {
        let problem = Problem::from;
        let dirs: Vec<&str> = self.dirs.iter().map(String::as_str).collect();
        // A run killed between its renames must leave a manifest that
        // records both what it replaced and what it wrote, so the next run
        // still recognises every file as Portolan's: the manifest first
        // becomes the union of the old and the new, and the new at the end.
        let manifest = self.interim_manifest();
        if let Some(Interim { change, old, both }) = &manifest {
            let write = transaction::Write {
                rel: &change.path,
                shown: self.shown(change),
                old: Some(old.as_bytes()),
                new: Some(both.as_bytes()),
                journal: true,
            };
            transaction::commit(lock, &[write], permit, &dirs).map_err(problem)?;
        }
        let (last, writes) = self.ordered_writes(manifest.is_some());
        let result = transaction::commit(lock, &writes, permit, &dirs).map_err(problem);
        let Some(Interim { change, old, both }) = &manifest else {
            return result;
        };
        if result.is_err() {
            // Nothing else changed: the manifest goes back to what it was.
            let write = transaction::Write {
                rel: &change.path,
                shown: self.shown(change),
                old: Some(both.as_bytes()),
                new: Some(old.as_bytes()),
                journal: true,
            };
            let _ = transaction::commit(lock, &[write], permit, &[]);
            return result;
        }
        let Some(change) = last.first() else {
            return Ok(());
        };
        let write = transaction::Write {
            old: Some(both.as_bytes()),
            ..self.write_of(change)
        };
        transaction::commit(lock, &[write], permit, &[]).map_err(|f| Problem {
            file: f.shown,
            at: None,
            message: format!(
                "{}; every other file was written, and this one lists them all: run sync again",
                f.message.trim_end_matches("; no file was changed")
            ),
        })
    }

    /// The manifest to record while writing, when the plan replaces one.
    fn interim_manifest(&self) -> Option<Interim<'_>> {
        self.manifest.as_deref().and_then(|path| {
            let change = self.changes.iter().find(|c| c.path == path)?;
            let (Some(old), Some(new)) = (&change.old, &change.new) else {
                return None;
            };
            let mut both = Manifest::parse(new);
            both.files.extend(Manifest::parse(old).files);
            both.files.sort();
            both.files.dedup();
            both.edits = self
                .changes
                .iter()
                .filter(|c| !c.artifact)
                .map(|c| c.path.clone())
                .collect();
            Some(Interim {
                change,
                old: old.as_str(),
                both: both.render(),
            })
        })
    }

    /// The writes of one transaction, in order; with an interim manifest,
    /// the manifest's change is left out and returned apart, to be written
    /// last.
    fn ordered_writes(&self, interim: bool) -> (Vec<&Change>, Vec<transaction::Write<'_>>) {
        // The manifest is replaced last, in a step of its own, so until every
        // other file is in place (and every removed file gone) it still lists
        // what each held; a first one is created first, so every file a
        // killed first sync wrote is already recorded.
        let is_manifest = |c: &&Change| self.manifest.as_deref() == Some(c.path.as_str());
        let (last, writes): (Vec<&Change>, Vec<&Change>) = match interim {
            true => self.changes.iter().partition(is_manifest),
            false => (Vec::new(), self.changes.iter().collect()),
        };
        let created = |c: &&&Change| is_manifest(c) && c.old.is_none();
        let writes: Vec<transaction::Write<'_>> = writes
            .iter()
            .filter(created)
            .chain(writes.iter().filter(|c| !is_manifest(c)))
            .chain(writes.iter().filter(|c| is_manifest(c) && !created(c)))
            .map(|c| self.write_of(c))
            .collect();
        (last, writes)
    }

    /// The write of one change.
    fn write_of<'c>(&self, c: &'c Change) -> transaction::Write<'c> {
        transaction::Write {
            rel: &c.path,
            shown: self.shown(c),
            old: c.old.as_deref().map(str::as_bytes),
            new: c.new.as_deref().map(str::as_bytes),
            journal: false,
        }
    }

    /// A plan that changes nothing yet, for [`Plan::edit_registry`] to add
    /// the registry's own edit to (assign and release without sync).
    pub fn registry_only(source: &Source) -> Plan {
        let (root, shown_root) = roots(source);
        Plan {
            root,
            shown_root,
            gone: Vec::new(),
            unmatched: Vec::new(),
            strays: Vec::new(),
            ignored: Vec::new(),
            changes: Vec::new(),
            unchanged: 0,
            manifest: None,
            dirs: BTreeSet::from([".".to_owned()]),
        }
    }

    /// Adds the edit of the registry (`source`, the text it was read as,
    /// becomes `new`) to the plan, so both are written in one transaction.
    pub fn edit_registry(&mut self, source: &Source, new: String) {
        let path = registry_rel(source);
        let change = Change {
            path,
            kind: ChangeKind::Update,
            artifact: false,
            old: Some(source.text().to_owned()),
            new: Some(new),
            reasons: vec![Reason::whole("edited")],
        };
        let at = self
            .changes
            .partition_point(|c| c.path.as_str() < change.path.as_str());
        self.changes.insert(at, change);
    }
}
