//! Writes in a repository (the `sync` feature): the registry's lock, and
//! one all-or-nothing transaction per run.
//!
//! What the repository holds is untrusted, so a transaction:
//! - writes only below the registry's directory, through symlinks that stay inside it;
//! - stages each file in an exclusive temporary file with an unpredictable
//!   name, created no wider than the file it replaces, with its owner and group;
//! - checks, under the lock, that every file is still what was read before
//!   replacing any of them, and refuses read-only and hard-linked files unless
//!   told otherwise;
//! - puts back what it already replaced when a later step fails.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::{TEMP_RANDOM, TEMP_SUFFIX, temp_prefix};

/// A held lock on a registry: every run that writes holds it, so runs that
/// write never interleave. Dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    root: PathBuf,
}

impl Lock {
    /// Waits for, and takes, the lock of the registry at `registry`. On Unix
    /// the lock is on the registry's directory itself: nothing is created,
    /// and there is no file a symlink could redirect. Elsewhere it is
    /// `.NAME.lock` beside the registry.
    pub fn acquire(registry: &Path) -> Result<Lock, crate::Error> {
        let root = crate::source::dir_of(registry).to_path_buf();
        // The registry's real directory: a symlinked ports.yaml and its
        // target take one lock, however they are spelled.
        #[cfg(unix)]
        let locked = registry
            .canonicalize()
            .ok()
            .and_then(|real| real.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| root.clone());
        let failed = |path: &Path| {
            let path = path.to_path_buf();
            move |source| crate::Error::Lock { path, source }
        };
        #[cfg(unix)]
        let (file, shown) = (File::open(&locked).map_err(failed(&locked))?, locked);
        #[cfg(not(unix))]
        let (file, shown) = {
            let path = lock_path(registry);
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(failed(&path))?;
            (file, path)
        };
        file.lock().map_err(failed(&shown))?;
        Ok(Lock { _file: file, root })
    }
}

/// `.ports.yaml.lock` beside the registry: where systems without directory
/// locks keep the lock, a file that is never replaced.
pub(crate) fn lock_path(registry: &Path) -> PathBuf {
    let name = registry
        .file_name()
        .map_or_else(|| "ports.yaml".into(), |n| n.to_string_lossy().into_owned());
    registry.with_file_name(format!(".{name}.lock"))
}

/// Files a transaction replaces only when told to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permit {
    /// Replace a file that is read-only (its owner may not write it); the new
    /// file keeps the mode.
    pub read_only: bool,
    /// Replace a file that has other hard links; the other names keep the
    /// old contents.
    pub hard_links: bool,
}

/// One file's change: its path relative to the root, what it held when it
/// was read (`None`: it did not exist) and what it will hold (`None`: removed).
#[derive(Clone, Debug)]
pub(crate) struct Write<'a> {
    pub rel: &'a str,
    pub shown: String,
    pub old: Option<&'a [u8]>,
    pub new: Option<&'a [u8]>,
    /// A record written ahead of the files (the manifest's first step); the
    /// fault injection point does not count it.
    pub journal: bool,
}

/// Why a transaction changed nothing (or, rarely, could not undo its changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The file at fault, as shown to the user.
    pub shown: String,
    pub message: String,
}

/// A file as it was checked before staging: a later change is noticed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    ino: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            ino: std::os::unix::fs::MetadataExt::ino(meta),
        }
    }
}

/// A change ready to commit.
struct Staged {
    index: usize,
    target: PathBuf,
    /// The target as checked (`None`: it did not exist).
    stamp: Option<Stamp>,
    /// The new contents in a temporary file, or the name a removed file is
    /// moved to until the end.
    temp: tempfile::TempPath,
    /// The metadata to give a file restored after a failure.
    meta: Option<fs::Metadata>,
}

/// Applies `writes` under `lock`, all or nothing, after sweeping the
/// temporary files killed runs left in `sweep` (directories relative to the
/// root) and in the directories written to.
pub(crate) fn commit(
    lock: &Lock,
    writes: &[Write<'_>],
    permit: Permit,
    sweep_dirs: &[&str],
) -> Result<(), Failure> {
    let root = &lock.root;
    let real_root = root.canonicalize().map_err(|e| Failure {
        shown: root.display().to_string(),
        message: format!("cannot resolve: {e}"),
    })?;
    sweep_all(root, &real_root, writes, sweep_dirs);
    // 1. Check every file and stage its new contents; nothing is replaced yet.
    let (staged, created_dirs) = stage_all(root, &real_root, writes, permit)?;
    // 2. Replace, in order; on failure put back what was replaced.
    let done = replace_all(writes, staged, &created_dirs)?;
    // 3. Done: removed files go for good; the renames are made durable.
    finish(writes, done);
    Ok(())
}

/// A failure of the write `w`.
fn failed(w: &Write<'_>, message: String) -> Failure {
    Failure {
        shown: w.shown.clone(),
        message,
    }
}

/// Removes the directories a transaction created, deepest first.
fn remove_created(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// Sweeps `sweep_dirs` and the directories written to, before anything is
/// staged, each directory once by its real path (a directory spelled two
/// ways would otherwise lose this run's own temporary files to the second
/// sweep).
fn sweep_all(root: &Path, real_root: &Path, writes: &[Write<'_>], sweep_dirs: &[&str]) {
    let mut swept: std::collections::BTreeSet<PathBuf> = Default::default();
    let dirs = sweep_dirs
        .iter()
        .filter_map(|d| match *d {
            "." => Some(real_root.to_path_buf()),
            d => crate::sync::resolve_under(root, real_root, d).ok(),
        })
        .chain(writes.iter().filter_map(|w| {
            let target = crate::sync::resolve_under(root, real_root, w.rel).ok()?;
            Some(target.parent()?.to_path_buf())
        }));
    for dir in dirs {
        if let Ok(real) = dir.canonicalize()
            && real.starts_with(real_root)
            && swept.insert(real.clone())
        {
            sweep(&real);
        }
    }
}

/// Checks every file and stages its new contents, with the directories
/// created for new files. On a failure nothing is left: what was staged
/// is deleted and the directories are removed.
fn stage_all(
    root: &Path,
    real_root: &Path,
    writes: &[Write<'_>],
    permit: Permit,
) -> Result<(Vec<Staged>, Vec<PathBuf>), Failure> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let mut staged: Vec<Staged> = Vec::new();
    let mut seen: std::collections::BTreeMap<PathBuf, usize> = Default::default();
    for (index, w) in writes.iter().enumerate() {
        let result =
            crate::sync::resolve_under(root, real_root, w.rel).and_then(|target| {
                match seen.insert(target.clone(), index) {
                    Some(first) => Err(format!(
                        "is the same file as `{}`; each file has one owner",
                        writes[first].rel
                    )),
                    None => stage_write(w, index, target, permit, &mut created_dirs),
                }
            });
        match result {
            Ok(s) => staged.push(s),
            Err(message) => {
                drop(staged);
                remove_created(&created_dirs);
                return Err(failed(w, format!("{message}; no file was changed")));
            }
        }
    }
    Ok((staged, created_dirs))
}

/// Checks that `target` still holds what `w` read, and stages `w`'s new
/// contents beside it (a removal: the name the file is moved aside to).
fn stage_write(
    w: &Write<'_>,
    index: usize,
    target: PathBuf,
    permit: Permit,
    created_dirs: &mut Vec<PathBuf>,
) -> Result<Staged, String> {
    let dir = target.parent().unwrap_or(Path::new(".")).to_path_buf();
    let meta = match target.symlink_metadata() {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let stamp = match (&meta, w.old) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err("was deleted after Portolan read it".to_owned());
        }
        (Some(_), None) => {
            return Err("was created after Portolan looked for it".to_owned());
        }
        (Some(meta), Some(old)) => {
            if !meta.is_file() {
                return Err("is no longer a regular file".to_owned());
            }
            refused(meta, permit)?;
            if !holds(&target, old)? {
                return Err("changed after Portolan read it".to_owned());
            }
            Some(Stamp::of(meta))
        }
    };
    let temp = match w.new {
        Some(bytes) => {
            if meta.is_none() {
                create_dirs(&dir, created_dirs)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            stage(&target, meta.as_ref(), bytes)?
        }
        // A removal moves the file aside first, so it can be put back.
        None => temp_file(&target, None)
            .map_err(|e| format!("cannot write beside it: {e}"))?
            .into_temp_path(),
    };
    Ok(Staged {
        index,
        target,
        stamp,
        temp,
        meta,
    })
}

/// Replaces the staged files in order. On a failure it puts back what was
/// replaced, deletes the rest and removes `created_dirs`.
fn replace_all(
    writes: &[Write<'_>],
    staged: Vec<Staged>,
    created_dirs: &[PathBuf],
) -> Result<Vec<Staged>, Failure> {
    let abort_after = fault_point();
    let mut done: Vec<Staged> = Vec::new();
    let mut staged = staged.into_iter();
    while let Some(s) = staged.next() {
        let w = &writes[s.index];
        if !w.journal && abort_after == Some(REPLACED.load(std::sync::atomic::Ordering::Relaxed)) {
            std::process::abort();
        }
        match replace(&s, w) {
            Ok(()) => {
                if !w.journal {
                    REPLACED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                done.push(s);
            }
            Err(message) => {
                let unrestored = undo(writes, done);
                drop(s);
                drop(staged);
                remove_created(created_dirs);
                let after = match unrestored.is_empty() {
                    true => "the files already written were restored".to_owned(),
                    false => format!(
                        "could not restore {}; check them by hand",
                        unrestored.join(", ")
                    ),
                };
                return Err(failed(w, format!("{message}; {after}")));
            }
        }
    }
    Ok(done)
}

/// Puts the staged file `s` in place of its target (or its target aside),
/// when the target is still as it was checked.
fn replace(s: &Staged, w: &Write<'_>) -> Result<(), String> {
    let now = match s.target.symlink_metadata() {
        Ok(m) => Some(Stamp::of(&m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    if now != s.stamp {
        return Err("changed while Portolan was writing".to_owned());
    }
    match w.new {
        Some(_) if s.stamp.is_some() => {
            fs::rename(&s.temp, &s.target).map_err(|e| format!("cannot replace: {e}"))
        }
        Some(_) => no_clobber(&s.temp, &s.target).map_err(|e| format!("cannot create: {e}")),
        None => fs::rename(&s.target, &s.temp).map_err(|e| format!("cannot remove: {e}")),
    }
}

/// Removed files go for good; the directories written to are flushed, so
/// the renames are durable.
fn finish(writes: &[Write<'_>], done: Vec<Staged>) {
    let mut dirs = std::collections::BTreeSet::new();
    for s in done {
        if let Some(dir) = s.target.parent() {
            dirs.insert(dir.to_path_buf());
        }
        match writes[s.index].new {
            // The temporary name now holds the removed file; dropping deletes it.
            None => drop(s.temp),
            // The temporary name was renamed away; nothing to delete.
            Some(_) => {
                let _ = s.temp.keep();
            }
        }
    }
    for dir in dirs {
        sync_dir(&dir);
    }
}

/// Puts back, newest first, what `done` changed; returns the files it could not.
fn undo(writes: &[Write<'_>], done: Vec<Staged>) -> Vec<String> {
    let mut unrestored = Vec::new();
    for s in done.into_iter().rev() {
        let w = &writes[s.index];
        let restored = match (w.old, w.new) {
            (_, None) => fs::rename(&s.temp, &s.target).map(|()| {
                let _ = s.temp.keep();
            }),
            (Some(old), Some(_)) => {
                let _ = s.temp.keep();
                stage(&s.target, s.meta.as_ref(), old)
                    .map_err(io::Error::other)
                    .and_then(|t| fs::rename(&t, &s.target).map(|()| drop(t.keep())))
            }
            (None, Some(_)) => {
                let _ = s.temp.keep();
                fs::remove_file(&s.target)
            }
        };
        if restored.is_err() {
            unrestored.push(w.shown.clone());
        }
    }
    unrestored
}

/// Why Portolan will not replace this file without a [`Permit`].
fn refused(meta: &fs::Metadata, permit: Permit) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o7777;
        if !permit.read_only && mode & 0o200 == 0 {
            return Err(format!(
                "is read-only (mode {mode:04o}); make it writable, or pass --replace-read-only to replace it keeping its mode"
            ));
        }
        if !permit.hard_links && meta.nlink() > 1 {
            return Err(format!(
                "has {} hard links; replacing it would leave the other names with the old contents (pass --break-hard-links to replace this name only)",
                meta.nlink()
            ));
        }
    }
    #[cfg(not(unix))]
    if !permit.read_only && meta.permissions().readonly() {
        return Err(
            "is read-only; make it writable, or pass --replace-read-only to replace it".to_owned(),
        );
    }
    Ok(())
}

/// Whether the file at `path` holds exactly `expected`, compared in chunks,
/// so a file that is up to date is never held in memory whole.
pub(crate) fn holds(path: &Path, expected: &[u8]) -> Result<bool, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    if file
        .metadata()
        .map_err(|e| format!("cannot read: {e}"))?
        .len()
        != expected.len() as u64
    {
        return Ok(false);
    }
    let mut rest = expected;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok(rest.is_empty());
        }
        if n > rest.len() || buf[..n] != rest[..n] {
            return Ok(false);
        }
        rest = &rest[n..];
    }
}

/// An exclusive temporary file beside `target`, with an unpredictable name,
/// created with `mode` (narrowed by the umask) so it is never readable by
/// more users than the file it replaces.
fn temp_file(target: &Path, mode: Option<u32>) -> io::Result<tempfile::NamedTempFile> {
    let (dir, prefix) = temp_prefix(target);
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode.unwrap_or(0o600)));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.tempfile_in(dir)
}

/// Writes `bytes` to a temporary file beside `target` with the metadata of
/// the file it replaces (`meta`; a new file gets the default mode), flushed
/// to disk.
fn stage(
    target: &Path,
    meta: Option<&fs::Metadata>,
    bytes: &[u8],
) -> Result<tempfile::TempPath, String> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::MetadataExt;
        meta.map_or(0o666, |m| m.mode() & 0o777)
    };
    #[cfg(not(unix))]
    let mode = 0o666;
    let mut file =
        temp_file(target, Some(mode)).map_err(|e| format!("cannot write beside it: {e}"))?;
    #[cfg(unix)]
    if let Some(meta) = meta {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let now = file
            .as_file()
            .metadata()
            .map_err(|e| format!("cannot write beside it: {e}"))?;
        if (now.uid(), now.gid()) != (meta.uid(), meta.gid()) {
            std::os::unix::fs::fchown(file.as_file(), Some(meta.uid()), Some(meta.gid())).map_err(
                |e| {
                    format!(
                        "cannot keep its owner and group ({}:{}): {e}; run as its owner, or change them",
                        meta.uid(),
                        meta.gid()
                    )
                },
            )?;
        }
        // Exactly the old mode (the umask may have narrowed it; a change of
        // owner clears set-id bits, which are set again here).
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(|e| format!("cannot keep its mode: {e}"))?;
    }
    #[cfg(not(unix))]
    if let Some(meta) = meta {
        let _ = file.as_file().set_permissions(meta.permissions());
    }
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| format!("cannot write: {e}"))?;
    Ok(file.into_temp_path())
}

/// Moves `temp` to `target` only if nothing exists there (a hard link, which
/// fails on an existing name, then the temporary name removed).
fn no_clobber(temp: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(temp, target) {
        Ok(()) => fs::remove_file(temp),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a file was created there after Portolan looked",
        )),
        // A file system without hard links: a rename, after a last look.
        Err(_) if target.symlink_metadata().is_err() => fs::rename(temp, target),
        Err(e) => Err(e),
    }
}

/// Creates `dir` and its missing parents, recording the ones it created.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {
            created.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Flushes a directory's entries, so a rename survives a power loss.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes temporary files a killed run left in `dir`. Called only under the
/// lock, which every writer holds, so none of them is in use. Only regular
/// files of Portolan's temporary names are removed, never through a symlink.
fn sweep(dir: &Path) {
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_temp_name(name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `.NAME.XXXXXXXX.portolan-tmp`: a file a killed run left (every writer in
/// a repository holds the registry lock).
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with('.')
        && name
            .strip_suffix(TEMP_SUFFIX)
            .and_then(|rest| rest.rsplit_once('.'))
            .is_some_and(|(_, random)| {
                random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric())
            })
}

/// Writes `bytes` to `target`, a path the user named (not one read from a
/// repository), as a transaction does: an exclusive temporary file beside it
/// with the old file's owner, group and mode, then a rename.
pub fn write_new(target: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = target.parent() {
        create_dirs(dir, &mut Vec::new()).map_err(|e| e.to_string())?;
    }
    let meta = fs::metadata(target).ok();
    let temp = stage(target, meta.as_ref(), bytes)?;
    temp.persist(target)
        .map(drop)
        .map_err(|e| e.error.to_string())
}

/// Files replaced by this process so far, for [`fault_point`].
static REPLACED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Fault injection for the reliability tests: with
/// `PORTOLAN_FAULT_ABORT_AFTER_RENAMES=N`, the process aborts after its Nth
/// replacement of a file (journal writes aside), a deterministic stand-in for
/// a kill.
fn fault_point() -> Option<usize> {
    std::env::var("PORTOLAN_FAULT_ABORT_AFTER_RENAMES")
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_fit_and_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let long = "a".repeat(250);
        let file = temp_file(&dir.path().join(&long), None).unwrap();
        let name = file
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(name.len() <= super::super::NAME_MAX, "{}", name.len());
        assert!(is_temp_name(&name), "{name}");
        assert!(!is_temp_name(".env"));
        assert!(!is_temp_name("x.portolan-tmp"));
        assert!(!is_temp_name(".a.ab.portolan-tmp"));
        // build.rs holds no lock: its files are never swept.
        assert!(!is_temp_name(".ports.rs.0000abcd.portolan-build-tmp"));
    }
}
