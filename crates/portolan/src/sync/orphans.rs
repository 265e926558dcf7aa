//! Files the last sync wrote that the registry no longer produces: removed
//! only when the manifest could honestly list them and they still hold what
//! Portolan wrote.

use super::*;

impl Planner<'_> {
    /// A killed sync's record of the team files it was editing: only paths
    /// the registry's `sync` entries (or the registry itself) could name.
    pub(super) fn edits_of_killed_run(
        &self,
        registry: &Registry,
        previous: Option<&Manifest>,
    ) -> Vec<String> {
        let registry_name = registry_rel(self.source);
        previous.map_or_else(Vec::new, |p| {
            p.edits
                .iter()
                .filter(|path| {
                    self.in_git(path).is_none()
                        && (**path == registry_name
                            || registry
                                .sync
                                .iter()
                                .any(|t| render::matches_pattern(&t.file.value, path)))
                })
                .cloned()
                .collect()
        })
    }

    /// Files the last sync rendered that the registry no longer produces:
    /// each removed when it is safe to (pushed to `changes`), else a
    /// problem. Returns the orphans' paths, for the sweep.
    pub(super) fn orphans(
        &mut self,
        registry: &Registry,
        previous: &Manifest,
        manifest: &Manifest,
        manifest_path: &str,
        changes: &mut Vec<Change>,
    ) -> Vec<String> {
        // A path still rendered, synced, read as a template or holding the
        // manifest is not an orphan, whatever the last manifest says.
        let wanted: BTreeSet<&str> = manifest
            .files
            .iter()
            .map(|(path, _)| path.as_str())
            .chain(self.claimed.keys().map(String::as_str))
            .chain(
                registry
                    .render
                    .templates
                    .iter()
                    .map(|t| t.template.value.as_str()),
            )
            .chain([manifest_path])
            .collect();
        // A manifest written during a sync lists a file once for what it held
        // and once for what it will hold (`Plan::apply`).
        let mut orphans: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
        for (path, hash) in &previous.files {
            if !wanted.contains(path.as_str()) {
                orphans.entry(path).or_default().push(hash);
            }
        }
        let orphan_paths = orphans
            .keys()
            .filter(|p| check_relative_path(p, false).is_ok())
            .map(|p| (*p).clone())
            .collect();
        for (path, hashes) in orphans {
            if let Some(problem) = self.removal(registry, path, &hashes, manifest_path, changes) {
                self.problems.push(problem);
            }
        }
        orphan_paths
    }

    /// Removes the orphan `path` (pushed to `changes`) when the manifest
    /// could have listed it honestly and it still holds one of `hashes`.
    pub(super) fn removal(
        &self,
        registry: &Registry,
        path: &str,
        hashes: &[&String],
        manifest_path: &str,
        changes: &mut Vec<Change>,
    ) -> Option<Problem> {
        let in_manifest = |message: String| Some(self.in_file(manifest_path, None, message));
        let at_file = |message: String| Some(self.in_file(path, None, message));
        // At most what a killed run records: what the file held and what
        // it was to hold. More would let a manifest test guesses.
        if hashes.len() > 2 {
            return in_manifest(format!(
                "lists `{}` {} times: the manifest was edited; Portolan leaves the file: remove the extra lines",
                printable(path),
                hashes.len()
            ));
        }
        // The manifest is a file in the repository: never trust it to name a path outside.
        if check_relative_path(path, false).is_err() {
            return in_manifest(format!(
                "lists `{path}`, which is not a path inside the registry's directory"
            ));
        }
        if let Some(why) = self.forbidden(path).or_else(|| {
            (!render::could_produce(registry, path))
                .then(|| "is not a file ports.yaml could produce".to_owned())
        }) {
            return in_manifest(format!(
                "lists `{path}`, which {}: the manifest was edited, or names the output of a template that is gone; Portolan deletes only files it can have written, so it leaves `{path}`: remove the line (and the file, if it is stale)",
                why.strip_prefix("is ")
                    .map_or(why.clone(), |w| format!("is {w}"))
            ));
        }
        // Removed only by its own name: through a symlink (the file's or a
        // directory's) it could be another path's file.
        let direct = self.real_root.as_ref().is_ok_and(|real_root| {
            self.root
                .join(path)
                .canonicalize()
                .map_or(true, |real| real == real_root.join(path))
        });
        if !direct {
            return at_file("is reached through a symlink; Portolan removes only the regular files it wrote, by their own path: remove it by hand".to_owned());
        }
        match self.read(path) {
            Ok(Some(old)) if !hashes.contains(&&manifest::digest(old.as_bytes())) => at_file(
                "is no longer produced by ports.yaml, but no longer holds what Portolan wrote there either (it was edited, or the manifest was); Portolan does not delete it: delete it by hand if it is not wanted".to_owned(),
            ),
            Ok(Some(old)) => {
                changes.push(Change {
                    path: path.to_owned(),
                    kind: ChangeKind::Remove,
                    artifact: true,
                    old: Some(old),
                    new: None,
                    reasons: vec![Reason::whole("no longer produced by ports.yaml")],
                });
                None
            }
            Ok(None) => None,
            Err(message) => at_file(message),
        }
    }

    /// Team files of a `{service}` entry whose service is gone
    /// (`values/bank-sync.yaml` after `release bank-sync`): the team's, so
    /// never deleted, but named, since the ports they publish may be
    /// another service's now.
    pub(super) fn gone_services(&self, registry: &Registry) -> Vec<Problem> {
        let mut out = Vec::new();
        for target in &registry.sync {
            let pattern = &target.file.value;
            if pattern.matches("{service}").count() != 1 {
                continue;
            }
            let per_environment: Vec<String> = if pattern.contains("{environment}") {
                registry
                    .environments
                    .iter()
                    .map(|e| pattern.replace("{environment}", e.name.as_str()))
                    .collect()
            } else {
                vec![pattern.clone()]
            };
            for pattern in per_environment {
                let Some((head, tail)) = pattern.split_once("{service}") else {
                    continue;
                };
                let (dir, name_head) = head.rsplit_once('/').unwrap_or(("", head));
                let (name_tail, rest) = match tail.split_once('/') {
                    Some((name_tail, rest)) => (name_tail, Some(rest)),
                    None => (tail, None),
                };
                let listed = if dir.is_empty() { "." } else { dir };
                let Ok(real) = self.resolve(listed) else {
                    continue;
                };
                let Ok(entries) = std::fs::read_dir(real) else {
                    continue;
                };
                let mut found: Vec<Problem> = Vec::new();
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let Some(service) = name
                        .strip_prefix(name_head)
                        .and_then(|n| n.strip_suffix(name_tail))
                    else {
                        continue;
                    };
                    if !crate::load::is_valid_name(service) || registry.service(service).is_some() {
                        continue;
                    }
                    // Only the team's regular files: not a directory, a FIFO or a symlink.
                    if !entry.file_type().is_ok_and(|t| t.is_file() || t.is_dir()) {
                        continue;
                    }
                    let mut path = if dir.is_empty() {
                        name.clone()
                    } else {
                        format!("{dir}/{name}")
                    };
                    match rest {
                        Some(rest) => {
                            path = format!("{path}/{rest}");
                            let regular = self.resolve(&path).is_ok_and(|p| {
                                std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
                            });
                            if !regular {
                                continue;
                            }
                        }
                        None if !entry.file_type().is_ok_and(|t| t.is_file()) => continue,
                        None => {}
                    }
                    // A file one of the entries writes now is no leftover
                    // (`{service}-{environment}` with dashes in both).
                    if self.claimed.contains_key(&path) {
                        continue;
                    }
                    found.push(self.in_file(
                        &path,
                        None,
                        format!(
                            "belongs to service `{service}`, which ports.yaml no longer has; the ports it holds may be another service's now: delete it (Portolan leaves the team's files), or restore the service"
                        ),
                    ));
                }
                found.sort_by(|a, b| a.file.cmp(&b.file));
                out.extend(found);
            }
        }
        out.dedup();
        out
    }
}
