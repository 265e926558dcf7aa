//! The team's files: the `sync` entries grouped by the file they own values
//! in, each file patched, and the entries that match no file.

use super::*;

/// What patching the team files found, beside the changes.
pub(super) struct Patched {
    /// Ports the files repeat outside what Portolan owns in them.
    pub(super) strays: Vec<Problem>,
    /// Whether each entry matched a file that exists.
    pub(super) covers: HashMap<*const SyncFile, bool>,
}

impl Planner<'_> {
    /// Every team file, with the entries that own values in it and their
    /// scopes. Several entries may own values in one file when they own
    /// different keys.
    pub(super) fn team_files<'r>(
        &mut self,
        registry: &'r Registry,
    ) -> Vec<(String, Vec<(&'r SyncFile, Scope)>)> {
        let mut team: Vec<(String, Vec<(&SyncFile, Scope)>)> = Vec::new();
        let mut by_path: HashMap<String, usize> = HashMap::new();
        for target in &registry.sync {
            for (path, mut scope) in render::expand(registry, &target.file.value) {
                if !target.covers(scope.service.as_deref(), scope.environment.as_deref()) {
                    continue;
                }
                // A file for one environment (`environments: [production]`)
                // looks its ports up there, as a `{environment}` file does.
                if let (None, Some([only])) = (&scope.environment, target.environments.as_deref()) {
                    scope.environment = Some(only.clone());
                }
                match by_path.get(&path) {
                    Some(&i) if self.share(&path, &team[i].1, target) => {
                        team[i].1.push((target, scope));
                    }
                    Some(_) => {}
                    None if self.claim(&path, &target.file) => {
                        by_path.insert(path.clone(), team.len());
                        team.push((path, vec![(target, scope)]));
                    }
                    None => {}
                }
            }
        }
        team
    }

    /// Splices the owned values into each team file: its change joins
    /// `found`, and the ports it repeats by hand are named.
    pub(super) fn patch_team_files<'r>(
        &mut self,
        team: &[(String, Vec<(&SyncFile, Scope)>)],
        engine: &dyn Fn() -> &'r Engine,
        rows: &[render::Row],
        found: &mut Compared,
    ) -> Patched {
        // A `{service}` entry covers the services that have the file: a missing
        // one is skipped, not counted; an entry that matches no file at all is
        // named (a mistyped path would otherwise sync nothing, silently).
        let mut covers: HashMap<*const SyncFile, bool> = HashMap::new();
        // Who holds each port, built only when a team file is read: the full
        // port space has 60,000 holders.
        let holders = std::cell::OnceCell::new();
        let mut strays = Vec::new();
        for (path, entries) in team {
            let per_service = entries
                .iter()
                .all(|(t, _)| t.create.is_none() && t.file.value.contains("{service}"));
            let exists = self.resolve(path).is_ok_and(|p| p.exists());
            for (t, _) in entries {
                *covers.entry(std::ptr::from_ref(*t)).or_default() |= exists;
            }
            if per_service && !exists {
                continue;
            }
            let text = match self.patch(engine(), entries, path) {
                Ok(Some(change)) => {
                    let text = change.new.clone();
                    found.changes.push(change);
                    text
                }
                Ok(None) => {
                    found.unchanged += 1;
                    self.read(path).ok().flatten()
                }
                Err(problem) => {
                    self.problems.push(problem);
                    None
                }
            };
            if let Some(text) = text {
                let holders = holders.get_or_init(|| render::holders(rows, false));
                strays.extend(self.strays(holders, entries, path, &text));
            }
        }
        Patched { strays, covers }
    }
}

/// The `{service}` entries that match no file at all: a mistyped path would
/// otherwise sync nothing, silently.
pub(super) fn unmatched(
    source: &Source,
    registry: &Registry,
    covers: &HashMap<*const SyncFile, bool>,
) -> Vec<Problem> {
    let mut unmatched = Vec::new();
    for target in &registry.sync {
        let per_service = target.create.is_none() && target.file.value.contains("{service}");
        if per_service && covers.get(&std::ptr::from_ref(target)) == Some(&false) {
            unmatched.push(Problem {
                file: source.name().to_owned(),
                at: Some((
                    target.file.span.line as usize,
                    target.file.span.column as usize,
                )),
                message: format!(
                    "`{}` matches no file: no service has one; check the path (a `{{service}}` entry covers the services that have the file, or add `create:`)",
                    printable(&target.file.value)
                ),
            });
        }
    }
    unmatched
}
