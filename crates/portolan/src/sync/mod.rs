//! Keeps files in step with the registry: the artifacts Portolan owns (written
//! whole) and the values it owns in the team's files (spliced by [`crate::edit`]).
//!
//! [`plan`] reads and renders everything in memory and touches nothing; the
//! same plan answers `check` (is anything stale?), `sync --dry-run` (the diff)
//! and `sync` ([`Plan::apply`], all-or-nothing).
//!
//! The source keeps one file per step: `outputs.rs` decides, renders and
//! compares the files Portolan writes whole; `team.rs` groups the team's
//! files and `patch.rs` splices the owned values into each; `strays.rs`
//! finds ports a team file repeats by hand, `orphans.rs` what the last sync
//! wrote that is no longer produced, `ignored.rs` what git ignores;
//! `paths.rs` claims each path for one entry and `read.rs` reads under the
//! registry's directory; `report.rs` says what the plan found and `apply.rs`
//! writes it.

use crate::edit::{Current, Document, Item, OwnedItems, Owner, Value};
use crate::manifest::{self, Manifest};
use crate::model::{KeyPath, Registry, SyncFile, Text, check_relative_path};
use crate::render::{self, Engine, File, Scope};
use crate::source::Source;
use crate::transaction;
pub use crate::transaction::{Lock, Permit};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

mod apply;
mod ignored;
mod orphans;
mod outputs;
mod patch;
mod paths;
mod read;
mod report;
mod strays;
mod team;

use outputs::Compared;
pub(crate) use read::resolve_under;
use read::{Same, canonical, real_path};
use report::first_difference;

/// A problem that stops a sync, located where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault, relative to the working directory as the user named ports.yaml.
    pub file: String,
    /// 1-based line and column, when known.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, message) = (printable(&self.file), printable(&self.message));
        match self.at {
            Some((line, col)) => write!(f, "{file}:{line}:{col}: {message}"),
            None => write!(f, "{file}: {message}"),
        }
    }
}

pub(crate) use crate::diag::printable;

impl From<transaction::Failure> for Problem {
    fn from(f: transaction::Failure) -> Problem {
        Problem {
            file: f.shown,
            at: None,
            message: f.message,
        }
    }
}

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// The file does not exist yet.
    Create,
    /// The file exists and differs.
    Update,
    /// An artifact the registry no longer produces.
    Remove,
}

/// A file that is not what the registry says it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Relative to ports.yaml's directory, `/`-separated.
    pub path: String,
    /// Create, update or remove.
    pub kind: ChangeKind,
    /// Whether Portolan owns the whole file (an artifact) or only values in it.
    pub artifact: bool,
    /// The current text (`None` when the file is missing).
    pub old: Option<String>,
    /// The wanted text (`None` when it is removed).
    pub new: Option<String>,
    /// What differs, one each: `port differs, ports.yaml says 9767`.
    pub reasons: Vec<Reason>,
}

/// One difference in a file, located in the file as it is now where the
/// difference has a place (a missing file or key has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// 1-based line and column.
    pub at: Option<(usize, usize)>,
    /// What differs.
    pub message: String,
}

impl Reason {
    /// A difference at no place in the file.
    pub(crate) fn whole(message: impl Into<String>) -> Reason {
        Reason {
            at: None,
            message: message.into(),
        }
    }

    /// A difference at `line`, column 1.
    pub(crate) fn at_line(line: usize, message: impl Into<String>) -> Reason {
        Reason {
            at: Some((line, 1)),
            message: message.into(),
        }
    }
}

/// Every file that would change, computed without writing anything.
#[derive(Debug)]
pub struct Plan {
    /// ports.yaml's directory: every path is relative to it.
    pub root: PathBuf,
    /// How paths are shown: the root as the user named it.
    pub shown_root: String,
    /// The files to change, sorted by path.
    pub changes: Vec<Change>,
    /// Team files of `{service}` entries whose service is gone: never
    /// changed, but `check` names them (one line each).
    pub gone: Vec<Problem>,
    /// `{service}` entries that match no file at all (a mistyped path
    /// would otherwise sync nothing, silently): `check` names them.
    pub unmatched: Vec<Problem>,
    /// Ports a team file repeats outside what Portolan owns in it, equal to
    /// one the registry gives a service: `check` names them (one line each).
    pub strays: Vec<Problem>,
    /// Generated files git ignores, with the rule: `check` names them.
    pub ignored: Vec<Problem>,
    /// How many files were checked and found up to date.
    pub unchanged: usize,
    /// The manifest's path, when the plan renders artifacts.
    manifest: Option<String>,
    /// The directories the plan's files live in (relative, `.` for the
    /// root): temporary files a killed run left there are swept.
    dirs: BTreeSet<String>,
}

/// Renders and reads everything the registry produces and owns, and compares.
/// `source` must be the text `registry` was loaded from (its hash goes into
/// the manifest). Nothing is written.
///
/// One pass down the stages: decide and render every output, compare it with
/// the file on disk, patch the team's files, find the outputs the last sync
/// wrote that are no longer produced, then refuse two names for one file.
pub fn plan(source: &Source, valid: crate::Valid<'_>) -> Result<Plan, Vec<Problem>> {
    let registry = valid.registry();
    let (root, shown_root) = roots(source);
    let manifest_path = format!(
        "{}/{}",
        registry.render.dir.value.trim_end_matches('/'),
        manifest::FILE_NAME
    );
    let mut cx = Planner::new(source, registry, &root, &shown_root, &manifest_path);
    // The template engine converts the whole registry: build it only for a
    // registry with templates or team-owned files.
    let engine = std::cell::OnceCell::new();
    let engine = || engine.get_or_init(|| Engine::new(registry));

    let rows = render::rows(registry);
    let outputs = cx.outputs(registry, &rows, &engine);
    let ignored = cx.ignored(registry, &outputs, &manifest_path);
    cx.claim_own(&manifest_path, &registry.render.dir);
    let previous = cx.previous_manifest(&manifest_path);
    let mut found = cx.compare_outputs(outputs, &manifest_path, previous.as_ref());
    // Team-owned files: splice the owned values.
    let team_files = cx.team_files(registry);
    let team = cx.patch_team_files(&team_files, &engine, &rows, &mut found);

    let killed_midway = previous
        .as_ref()
        .is_some_and(|p| !p.edits.is_empty() || p.files.windows(2).any(|w| w[0].0 == w[1].0));
    let edited = cx.edits_of_killed_run(registry, previous.as_ref());
    let orphan_paths = match &previous {
        Some(previous) => cx.orphans(
            registry,
            previous,
            &found.manifest,
            &manifest_path,
            &mut found.changes,
        ),
        None => Vec::new(),
    };
    let gone = cx.gone_services(registry);
    let unmatched = team::unmatched(source, registry, &team.covers);
    cx.refuse_aliases();
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    let mut changes = found.changes;
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let dirs = cx.swept_dirs(killed_midway, &changes, &orphan_paths, &edited);
    Ok(Plan {
        root,
        shown_root,
        changes,
        gone,
        unmatched,
        strays: team.strays,
        ignored,
        unchanged: found.unchanged,
        manifest: Some(manifest_path),
        dirs,
    })
}

/// One [`plan`] under way: the paths claimed so far and the problems found.
struct Planner<'a> {
    source: &'a Source,
    root: &'a Path,
    /// `root` canonical, or why it cannot be resolved.
    real_root: Result<PathBuf, String>,
    shown_root: &'a str,
    problems: Vec<Problem>,
    /// Every output and target path, with the ports.yaml entry that produced it.
    claimed: BTreeMap<String, (usize, usize)>,
    /// Paths no output or team file may be, and why.
    protected: Vec<(String, String)>,
    /// The same, with symlinks followed.
    protected_real: Vec<(PathBuf, String)>,
    /// Each directory's real path, resolved once (a plan names thousands of
    /// files in few directories, and resolving costs a system call a
    /// component).
    real_dirs: std::cell::RefCell<std::collections::HashMap<String, Option<PathBuf>>>,
}

impl<'a> Planner<'a> {
    fn new(
        source: &'a Source,
        registry: &Registry,
        root: &'a Path,
        shown_root: &'a str,
        manifest_path: &str,
    ) -> Self {
        let registry_name = registry_rel(source);
        let lock_name = transaction::lock_path(Path::new(&registry_name))
            .to_string_lossy()
            .into_owned();
        // Files no output or team file may be: what Portolan reads its
        // instructions from, and its own records.
        let mut protected: Vec<(String, String)> = vec![
            (registry_name, "is the registry itself".to_owned()),
            (
                manifest_path.to_owned(),
                "is Portolan's manifest".to_owned(),
            ),
            (lock_name, "is the registry's lock file".to_owned()),
        ];
        for t in &registry.render.templates {
            protected.push((
                t.template.value.clone(),
                format!("is the template `{}`", t.template.value),
            ));
        }
        for create in registry.sync.iter().filter_map(|t| t.create.as_ref()) {
            protected.push((
                create.value.clone(),
                format!(
                    "is the template `{}` that team files are created from",
                    create.value
                ),
            ));
        }
        let real_root = canonical(root);
        let protected_real = protected
            .iter()
            .filter_map(|(path, why)| {
                let real_root = real_root.as_ref().ok()?;
                let real = real_path(&resolve_under(root, real_root, path).ok()?);
                Some((real, why.clone()))
            })
            .collect();
        Planner {
            source,
            root,
            real_root,
            shown_root,
            problems: Vec::new(),
            claimed: BTreeMap::new(),
            protected,
            protected_real,
            real_dirs: Default::default(),
        }
    }

    /// Where a killed run may have left temporary files: beside what changes
    /// now, and beside what it was removing or editing; beside every file
    /// only when the manifest shows a run was killed midway (it lists a team
    /// file being edited, or a file twice), as reading every directory costs.
    fn swept_dirs(
        &self,
        killed_midway: bool,
        changes: &[Change],
        orphan_paths: &[String],
        edited: &[String],
    ) -> BTreeSet<String> {
        let mut dirs: BTreeSet<String> = self
            .claimed
            .keys()
            .filter(|_| killed_midway)
            .chain(changes.iter().map(|c| &c.path))
            .chain(orphan_paths.iter())
            .chain(
                edited
                    .iter()
                    .filter(|p| check_relative_path(p, false).is_ok()),
            )
            .map(|p| p.rsplit_once('/').map_or(".", |(dir, _)| dir).to_owned())
            .collect();
        dirs.insert(".".to_owned());
        dirs
    }
}

/// The registry's directory, and how it is shown (`dir/`, or nothing).
fn roots(source: &Source) -> (PathBuf, String) {
    match source.path().parent() {
        Some(p) if !p.as_os_str().is_empty() => (p.to_path_buf(), format!("{}/", p.display())),
        _ => (PathBuf::from("."), String::new()),
    }
}

/// The registry's file name: its path relative to its own directory.
fn registry_rel(source: &Source) -> String {
    source.path().file_name().map_or_else(
        || "ports.yaml".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}
