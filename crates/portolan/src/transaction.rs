//! Every write Portolan makes goes through here. Each file is staged in an
//! exclusive temporary file beside it, `.NAME.XXXXXXXX.portolan-tmp`
//! (`…portolan-build-tmp` for build.rs, which holds no lock), flushed, then
//! renamed over the target, so a reader sees the old file or the new one.
//!
//! - In a repository (`repository`, the `sync` feature), whose contents are
//!   untrusted: the registry's lock, unpredictable temporary names with the
//!   replaced file's owner and mode, and one all-or-nothing transaction per run.
//! - In Cargo's `OUT_DIR` (`replace_if_changed`, what build.rs needs): the
//!   build's own directory, with no dependency beyond std.

#[cfg(feature = "codegen")]
use std::fs;
#[cfg(feature = "codegen")]
use std::io::{self, Write as _};
use std::path::Path;

#[cfg(feature = "sync")]
mod repository;
#[cfg(feature = "sync")]
pub(crate) use repository::{Failure, Write, commit, holds, lock_path};
#[cfg(feature = "sync")]
pub use repository::{Lock, Permit, write_new};

/// What the temporary files of a writer in a repository end with. Every such
/// writer holds the registry lock, so a file of this name found under the
/// lock is left by a killed run, and sync sweeps it.
#[cfg(feature = "sync")]
const TEMP_SUFFIX: &str = ".portolan-tmp";
/// What build.rs's temporary files end with: it holds no lock, and its output
/// directory may be one sync writes to, so no sweep may take them.
#[cfg(feature = "codegen")]
const BUILD_TEMP_SUFFIX: &str = ".portolan-build-tmp";
/// Room a temporary name keeps for the longer of the two suffixes.
const SUFFIX_ROOM: usize = ".portolan-build-tmp".len();
/// Random characters in a temporary file's name.
const TEMP_RANDOM: usize = 8;
/// The longest file name most file systems allow.
const NAME_MAX: usize = 255;

/// The directory a temporary file for `target` goes in, and its name up to
/// the random part: `.NAME.`, the name cut so that the whole still fits.
fn temp_prefix(target: &Path) -> (&Path, String) {
    let dir = crate::source::dir_of(target);
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let room = NAME_MAX - 2 - TEMP_RANDOM - SUFFIX_ROOM;
    let name = &name[..name.floor_char_boundary(room)];
    (dir, format!(".{name}."))
}

#[cfg(feature = "codegen")]
/// Writes `content` to `path` in a build's output directory, only when it
/// differs from what is there (an unchanged file keeps its mtime, so nothing
/// that depends on it rebuilds). `Ok(true)` when it was written.
pub(crate) fn replace_if_changed(path: &Path, content: &[u8]) -> io::Result<bool> {
    if fs::read(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    let (dir, prefix) = temp_prefix(path);
    // The directory is the build's own: the process id (and a counter, for a
    // name left by an earlier process of the same id) is unique enough, and
    // creating the file exclusively never writes through what is there.
    let pid = std::process::id();
    let mut attempt = 0u32;
    let (temp, mut file) = loop {
        let temp = dir.join(format!(
            "{prefix}{:08x}{BUILD_TEMP_SUFFIX}",
            pid.rotate_left(8) ^ attempt
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => break (temp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 64 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(content)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map(|()| true)
}

#[cfg(all(test, feature = "codegen"))]
mod tests {
    use super::*;

    #[test]
    fn a_build_output_is_replaced_only_when_it_changes_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ports.rs");
        assert!(replace_if_changed(&path, b"a").unwrap());
        assert!(!replace_if_changed(&path, b"a").unwrap());
        // A temporary file of the same name left by an earlier process is passed over.
        let (_, prefix) = temp_prefix(&path);
        let left = format!(
            "{prefix}{:08x}{BUILD_TEMP_SUFFIX}",
            std::process::id().rotate_left(8)
        );
        fs::write(dir.path().join(&left), "left").unwrap();
        assert!(replace_if_changed(&path, b"b").unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"b");
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [left, "ports.rs".to_owned()]);
    }
}
