//! Reading the repository's files: each path resolved under the registry's
//! directory, refused when a symlink leads out of it or when it is not a
//! regular file.

use super::*;

/// What [`Planner::read_unless_same`] found.
pub(super) enum Same {
    /// The file holds exactly the expected text.
    Yes,
    /// It differs or is missing (`None`); its text, to describe the difference.
    No(Option<String>),
}

impl Planner<'_> {
    /// [`Planner::read`], unless the file already holds exactly `expected`:
    /// that is compared in chunks, so a file that is up to date is never held
    /// in memory whole (ports.json runs to 15 MB for a full port space).
    pub(super) fn read_unless_same(&self, rel: &str, expected: &str) -> Result<Same, String> {
        let same = self.resolve(rel).ok().is_some_and(|path| {
            fs::metadata(&path).is_ok_and(|m| m.is_file())
                && transaction::holds(&path, expected.as_bytes()) == Ok(true)
        });
        if same {
            return Ok(Same::Yes);
        }
        self.read(rel).map(Same::No)
    }

    /// `rel` under the registry's directory (see [`resolve_under`]).
    pub(super) fn resolve(&self, rel: &str) -> Result<PathBuf, String> {
        resolve_under(
            self.root,
            self.real_root.as_ref().map_err(Clone::clone)?,
            rel,
        )
    }

    /// A file's text; `Ok(None)` when it does not exist. Refuses paths that
    /// lead out of the registry's directory through a symlink.
    pub(super) fn read(&self, rel: &str) -> Result<Option<String>, String> {
        let path = self.resolve(rel)?;
        // Opening a FIFO for reading would block until someone writes to it.
        if let Ok(meta) = fs::metadata(&path)
            && !meta.is_file()
            && !meta.is_dir()
        {
            return Err(
                "is not a regular file (a FIFO, socket or device); Portolan reads and writes regular files only"
                    .to_owned(),
            );
        }
        match fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| "is not valid UTF-8".to_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read: {e}")),
        }
    }
}

/// `root` with every symlink followed, once per plan or apply rather than once per file.
pub(super) fn canonical(root: &Path) -> Result<PathBuf, String> {
    root.canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", root.display()))
}

/// `root/rel` (`canonical_root` is `root` with every symlink followed),
/// refused when `rel` is not a plain relative path or when a symlink on the
/// way leads out of `root`.
pub(crate) fn resolve_under(
    root: &Path,
    canonical_root: &Path,
    rel: &str,
) -> Result<PathBuf, String> {
    check_relative_path(rel, false)?;
    let path = root.join(rel);
    // The deepest part of the path that exists decides where it really leads.
    let mut existing = path.as_path();
    loop {
        if existing.symlink_metadata().is_ok() {
            break;
        }
        match existing.parent() {
            Some(parent) => existing = parent,
            None => return Ok(path),
        }
    }
    match existing.canonicalize() {
        // A symlinked file inside the directory is written through, so the
        // link stays a link.
        Ok(real) if real.starts_with(canonical_root) && existing == path => Ok(real),
        Ok(real) if real.starts_with(canonical_root) => Ok(path),
        Ok(real) => Err(format!(
            "`{rel}` leads out of the registry's directory (to {}) through a symlink; Portolan refuses to write there",
            real.display()
        )),
        // A dangling symlink: refuse rather than guess.
        Err(e) => Err(format!("cannot resolve `{rel}`: {e}")),
    }
}

/// Where `path` really is: symlinks in it (and in its directory, when the
/// file does not exist yet) followed.
pub(super) fn real_path(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => real_path(dir).join(name),
        _ => path.to_path_buf(),
    }
}
