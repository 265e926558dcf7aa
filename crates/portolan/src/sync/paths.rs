//! Which paths a plan may read and write: each output and team file claimed
//! by one entry, never the registry's own files, nothing under `.git/`, no
//! symlink leading out of the repository.

use super::*;

impl Planner<'_> {
    pub(super) fn shown(&self, path: &str) -> String {
        format!("{}{path}", self.shown_root)
    }

    /// A problem in the file `path` below the registry's directory.
    pub(super) fn in_file(
        &self,
        path: &str,
        at: Option<(usize, usize)>,
        message: String,
    ) -> Problem {
        Problem {
            file: self.shown(path),
            at,
            message,
        }
    }

    pub(super) fn located(&mut self, text: &Text, message: String) {
        self.problems.push(Problem {
            file: self.source.name().to_owned(),
            at: Some((text.span.line as usize, text.span.column as usize)),
            message,
        });
    }

    /// Why Portolan may not write `path`, whatever ports.yaml says: inside
    /// `.git/` or one of the protected files, by name or through a symlink.
    pub(super) fn forbidden(&self, path: &str) -> Option<String> {
        if let Some(why) = self.git_by_name(path) {
            return Some(why);
        }
        if let Some((_, why)) = self.protected.iter().find(|(p, _)| p == path) {
            return Some(why.clone());
        }
        let real = self.real(path)?;
        self.git_by_link(&real).or_else(|| {
            self.protected_real
                .iter()
                .find(|(p, _)| *p == real)
                .map(|(_, why)| format!("{why} (through a symlink)"))
        })
    }

    /// Why `path` is in git's own directory, by name or through a symlink.
    pub(super) fn in_git(&self, path: &str) -> Option<String> {
        self.git_by_name(path)
            .or_else(|| self.git_by_link(&self.real(path)?))
    }

    pub(super) fn git_by_name(&self, path: &str) -> Option<String> {
        path.split('/')
            .any(|c| c.eq_ignore_ascii_case(".git"))
            .then(|| "is inside .git/".to_owned())
    }

    /// Why `real`, a path with its symlinks followed, is in `.git/`.
    pub(super) fn git_by_link(&self, real: &Path) -> Option<String> {
        match &self.real_root {
            Ok(real_root) if real.starts_with(real_root.join(".git")) => {
                Some("leads into .git/ through a symlink".to_owned())
            }
            _ => None,
        }
    }

    /// Where `path` really is (symlinks followed), `None` when it leads out
    /// of the registry's directory: its directory's real path, resolved once
    /// per directory, then the file itself only when it is a symlink.
    pub(super) fn real(&self, path: &str) -> Option<PathBuf> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let real_dir = self
            .real_dirs
            .borrow_mut()
            .entry(dir.to_owned())
            .or_insert_with(|| match dir {
                "" => self.real_root.as_ref().ok().cloned(),
                dir => Some(real_path(&self.resolve(dir).ok()?)),
            })
            .clone()?;
        let file = real_dir.join(name);
        match file.symlink_metadata() {
            Ok(meta) if meta.is_symlink() => {
                self.resolve(path).ok()?;
                Some(real_path(&file))
            }
            _ => Some(file),
        }
    }

    /// A problem with the file at `path` itself.
    pub(super) fn about(&mut self, path: &str, message: String) {
        self.problems.push(Problem {
            file: self.shown(path),
            at: None,
            message,
        });
    }

    /// Claims the manifest's own path, which no entry may claim. It is
    /// written whole, so it may not be a symlink or lie in `.git/`.
    pub(super) fn claim_own(&mut self, path: &str, by: &Text) {
        if let Some(why) = self.in_git(path).or_else(|| self.symlink(path)) {
            self.located(
                by,
                format!("`{path}` {why}; Portolan never writes its manifest there"),
            );
        }
        let at = (by.span.line as usize, by.span.column as usize);
        self.claimed.insert(path.to_owned(), at);
    }

    /// Why `path`, a file Portolan writes whole, is a symlink.
    pub(super) fn symlink(&self, path: &str) -> Option<String> {
        self.root
            .join(path)
            .symlink_metadata()
            .is_ok_and(|m| m.is_symlink())
            .then(|| {
                "is a symlink, and Portolan writes the files it renders as regular files only"
                    .to_owned()
            })
    }

    /// [`Planner::claim`] for a file rendered whole: it may not be a symlink,
    /// which would let it replace the file the link names.
    pub(super) fn claim_output(&mut self, path: &str, by: &Text) -> bool {
        if let Some(why) = self.symlink(path) {
            self.located(by, format!("`{path}` {why}"));
            return false;
        }
        self.claim(path, by)
    }

    /// Records that `path` is produced by `by`; a second claim, or a path
    /// Portolan may not write, is a problem.
    pub(super) fn claim(&mut self, path: &str, by: &Text) -> bool {
        if let Some(why) = self.forbidden(path) {
            self.located(
                by,
                format!("`{path}` {why}; Portolan never writes it as an output or team file"),
            );
            return false;
        }
        let at = (by.span.line as usize, by.span.column as usize);
        if let Some(first) = self.claimed.get(path) {
            let first = *first;
            self.located(
                by,
                format!(
                    "`{path}` is also produced by the entry at line {}; each file has one owner",
                    first.0
                ),
            );
            return false;
        }
        self.claimed.insert(path.to_owned(), at);
        true
    }

    /// Whether `target` may own values in `path` beside `owners`, the
    /// entries that already do: the same format, and no key owned twice.
    pub(super) fn share(
        &mut self,
        path: &str,
        owners: &[(&crate::model::SyncFile, Scope)],
        target: &crate::model::SyncFile,
    ) -> bool {
        let Some((first, _)) = owners.first() else {
            return true;
        };
        if first.format != target.format {
            self.located(
                &target.file,
                format!(
                    "`{path}` is edited as {} by the entry at line {}; one file has one format",
                    first.format.as_str(),
                    first.file.span.line
                ),
            );
            return false;
        }
        let keys = |t: &crate::model::SyncFile| -> Vec<Text> {
            t.values
                .iter()
                .map(|(k, _)| k.clone())
                .chain(t.lists.iter().map(|l| l.key.clone()))
                .collect()
        };
        let mut ok = true;
        for key in keys(target) {
            for (owner, _) in owners {
                // `a` and `a.b` overlap: one holds the other.
                let overlaps = |k: &Text| {
                    let (a, b) = (k.value.as_str(), key.value.as_str());
                    let within = |outer: &str, inner: &str| {
                        inner
                            .strip_prefix(outer)
                            .is_some_and(|rest| rest.starts_with(['.', '[']))
                    };
                    a == b || within(a, b) || within(b, a)
                };
                if let Some(other) = keys(owner).into_iter().find(overlaps) {
                    self.located(
                        &key,
                        format!(
                            "`{}` in `{path}` is also owned by the entry at line {}; each value has one owner",
                            key.value, other.span.line
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok
    }

    /// Two names for one file (a symlink and its target) would give it two owners.
    pub(super) fn refuse_aliases(&mut self) {
        let mut real: BTreeMap<PathBuf, &str> = BTreeMap::new();
        let mut aliased = Vec::new();
        for path in self.claimed.keys() {
            if let Some(resolved) = self.real(path)
                && let Some(first) = real.insert(resolved, path)
            {
                aliased.push(Problem {
                    file: self.shown(path),
                    at: None,
                    message: format!("is the same file as `{first}`; each file has one owner"),
                });
            }
        }
        self.problems.extend(aliased);
    }
}
