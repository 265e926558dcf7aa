//! Keeps files in step with the registry: the artifacts Portolan owns (written
//! whole) and the values it owns in the team's files (spliced by [`crate::edit`]).
//!
//! [`plan`] reads and renders everything in memory and touches nothing; the
//! same plan answers `check` (is anything stale?), `sync --dry-run` (the diff)
//! and `sync` ([`Plan::apply`], all-or-nothing).

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

mod ignored;
mod orphans;
mod patch;
mod paths;
mod report;
mod strays;

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
    // Files git would never commit: a fresh clone lacks them. The rendered
    // files and their manifest, and the team files Portolan keeps in sync.
    let mut watched: Vec<String> = outputs.files.iter().map(|(p, _)| p.clone()).collect();
    watched.push(manifest_path.clone());
    for target in &registry.sync {
        for (path, _) in render::expand(registry, &target.file.value) {
            if cx.resolve(&path).is_ok_and(|p| p.exists()) {
                watched.push(path);
            }
        }
    }
    watched.sort();
    watched.dedup();
    let watched: Vec<&str> = watched.iter().map(String::as_str).collect();
    let ignored: Vec<Problem> = ignored::ignored(&root, &watched)
        .into_iter()
        .map(|(path, rule)| Problem {
            file: format!("{shown_root}{path}"),
            at: None,
            message: format!(
                "git ignores it (rule `{}`), so it is never committed and a fresh clone lacks it: change the ignore rules so git keeps it (`git check-ignore -v {}` names the rule; a directory ignored whole must be un-ignored first)",
                printable(&rule),
                printable(&path)
            ),
        })
        .collect();
    cx.claim_own(&manifest_path, &registry.render.dir);
    let previous = cx.previous_manifest(&manifest_path);
    let mut found = cx.compare_outputs(outputs, &manifest_path, previous.as_ref());

    // Team-owned files: splice the owned values. Several entries may own
    // values in one file when they own different keys.
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
                Some(&i) if cx.share(&path, &team[i].1, target) => {
                    team[i].1.push((target, scope));
                }
                Some(_) => {}
                None if cx.claim(&path, &target.file) => {
                    by_path.insert(path.clone(), team.len());
                    team.push((path, vec![(target, scope)]));
                }
                None => {}
            }
        }
    }
    // A `{service}` entry covers the services that have the file: a missing
    // one is skipped, not counted; an entry that matches no file at all is
    // named (a mistyped path would otherwise sync nothing, silently).
    let mut covers: HashMap<*const SyncFile, bool> = HashMap::new();
    // Who holds each port, built only when a team file is read: the full
    // port space has 60,000 holders.
    let holders = std::cell::OnceCell::new();
    let mut strays = Vec::new();
    for (path, entries) in &team {
        let per_service = entries
            .iter()
            .all(|(t, _)| t.create.is_none() && t.file.value.contains("{service}"));
        let exists = cx.resolve(path).is_ok_and(|p| p.exists());
        for (t, _) in entries {
            *covers.entry(std::ptr::from_ref(*t)).or_default() |= exists;
        }
        if per_service && !exists {
            continue;
        }
        let text = match cx.patch(engine(), entries, path) {
            Ok(Some(change)) => {
                let text = change.new.clone();
                found.changes.push(change);
                text
            }
            Ok(None) => {
                found.unchanged += 1;
                cx.read(path).ok().flatten()
            }
            Err(problem) => {
                cx.problems.push(problem);
                None
            }
        };
        if let Some(text) = text {
            let holders = holders.get_or_init(|| render::holders(&rows, false));
            strays.extend(cx.strays(holders, entries, path, &text));
        }
    }

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
    cx.refuse_aliases();
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    let mut changes = found.changes;
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    // Where a killed run may have left temporary files: beside what changes
    // now, and beside what it was removing or editing; beside every file
    // only when the manifest shows a run was killed midway (it lists a team
    // file being edited, or a file twice), as reading every directory costs.
    let mut dirs: BTreeSet<String> = cx
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
    Ok(Plan {
        root,
        shown_root,
        changes,
        gone,
        unmatched,
        strays,
        ignored,
        unchanged: found.unchanged,
        manifest: Some(manifest_path),
        dirs,
    })
}

/// Every output a sync writes: built-in artifacts rendered when compared (so
/// only one is in memory at once), and user templates.
struct Outputs<'r> {
    files: Vec<(String, render::Job<'r>)>,
    /// The inputs with their digests, for the manifest.
    inputs: Vec<(String, String)>,
    /// Outputs of user templates, whose lines are never quoted in messages.
    from_templates: BTreeSet<String>,
}

/// What comparing the outputs found.
struct Compared {
    changes: Vec<Change>,
    unchanged: usize,
    /// The manifest this sync writes.
    manifest: Manifest,
}

/// What [`Planner::read_unless_same`] found.
enum Same {
    /// The file holds exactly the expected text.
    Yes,
    /// It differs or is missing (`None`); its text, to describe the difference.
    No(Option<String>),
}

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

    /// Decides every output (built-ins, then user templates) and renders the
    /// templates; a template that cannot be read or rendered is a problem.
    fn outputs<'r>(
        &mut self,
        registry: &'r Registry,
        rows: &'r [render::Row],
        engine: &dyn Fn() -> &'r Engine,
    ) -> Outputs<'r> {
        let mut files = render::artifact_jobs(registry, rows);
        files.retain(|(path, _)| self.claim_output(path, &registry.render.dir));
        let mut inputs = vec![(
            registry_rel(self.source),
            manifest::digest(self.source.text().as_bytes()),
        )];
        let mut from_templates = BTreeSet::new();
        for t in &registry.render.templates {
            if let Some(why) = self.in_git(&t.template.value) {
                self.located(
                    &t.template,
                    format!(
                        "template `{}` {why}; Portolan never reads there",
                        t.template.value
                    ),
                );
                continue;
            }
            let text = match self.read(&t.template.value) {
                Ok(Some(text)) => text,
                Ok(None) => {
                    self.located(
                        &t.template,
                        format!("template `{}` does not exist", t.template.value),
                    );
                    continue;
                }
                Err(message) => {
                    self.located(&t.template, message);
                    continue;
                }
            };
            inputs.push((t.template.value.clone(), manifest::digest(text.as_bytes())));
            for (path, scope) in render::expand(registry, &t.output.value) {
                if !self.claim_output(&path, &t.output) {
                    continue;
                }
                match engine().render_file(&t.template.value, &text, &scope) {
                    Ok(contents) => {
                        from_templates.insert(path.clone());
                        files.push((path, Box::new(move || contents)));
                    }
                    Err(message) => self.located(
                        &t.template,
                        format!("{}: rendering {path}: {message}", t.template.value),
                    ),
                }
            }
        }
        inputs.sort();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Outputs {
            files,
            inputs,
            from_templates,
        }
    }

    /// The manifest the last sync left, if any.
    fn previous_manifest(&mut self, manifest_path: &str) -> Option<Manifest> {
        match self.read(manifest_path) {
            Ok(Some(text)) => Some(Manifest::parse(&text)),
            Ok(None) => None,
            Err(message) => {
                self.problems.push(Problem {
                    file: self.shown(manifest_path),
                    at: None,
                    message,
                });
                None
            }
        }
    }

    /// Renders each output in turn and compares it with the file on disk,
    /// then the manifest that records them.
    fn compare_outputs(
        &mut self,
        outputs: Outputs<'_>,
        manifest_path: &str,
        previous: Option<&Manifest>,
    ) -> Compared {
        // Files the last sync wrote, with what it wrote: only a file that
        // still holds that may be replaced.
        let recorded: BTreeSet<(String, String)> = previous
            .iter()
            .flat_map(|m| m.files.iter().cloned())
            .collect();
        let mut found = Compared {
            changes: Vec::new(),
            unchanged: 0,
            manifest: Manifest {
                inputs: outputs.inputs,
                files: Vec::with_capacity(outputs.files.len()),
                edits: Vec::new(),
            },
        };
        let mut written = Vec::with_capacity(outputs.files.len());
        for (path, render) in outputs.files {
            let contents = render();
            written.push((path.clone(), manifest::digest(contents.as_bytes())));
            let file = File { path, contents };
            self.compare(
                file,
                manifest_path,
                &recorded,
                &outputs.from_templates,
                &mut found,
            );
        }
        found.manifest.files = written;
        if !found.manifest.files.is_empty() || previous.is_some() {
            let file = File {
                path: manifest_path.to_owned(),
                contents: found.manifest.render(),
            };
            self.compare(
                file,
                manifest_path,
                &recorded,
                &outputs.from_templates,
                &mut found,
            );
        }
        found
    }

    /// One rendered output against the file on disk.
    fn compare(
        &mut self,
        file: File,
        manifest_path: &str,
        recorded: &BTreeSet<(String, String)>,
        from_templates: &BTreeSet<String>,
        found: &mut Compared,
    ) {
        let listed = |path: &str| {
            recorded
                .range((path.to_owned(), String::new())..)
                .next()
                .is_some_and(|(p, _)| p == path)
        };
        match self.read_unless_same(&file.path, &file.contents) {
            Ok(Same::Yes) => found.unchanged += 1,
            Ok(Same::No(Some(old))) if old == file.contents => found.unchanged += 1,
            Ok(Same::No(Some(old)))
                if file.path != manifest_path
                    && !recorded
                        .contains(&(file.path.clone(), manifest::digest(old.as_bytes()))) =>
            {
                let message = match listed(&file.path) {
                    false => format!(
                        "exists and was not written by Portolan (`{manifest_path}` does not list it); Portolan does not replace it: move it away, or delete it so that ports.yaml owns it"
                    ),
                    true => "no longer holds what Portolan wrote there (it was edited, or merged); Portolan does not replace changes it did not make: delete it, and sync writes it again".to_owned(),
                };
                self.about(&file.path, message);
            }
            Ok(Same::No(old)) => {
                let reasons = vec![match &old {
                    // The line of the first difference, for editors and CI annotations.
                    Some(old) if file.path != manifest_path => {
                        first_difference(old, &file.contents, !from_templates.contains(&file.path))
                    }
                    // Hashes say nothing to a reader: name the inputs that changed.
                    Some(old) if file.path == manifest_path => {
                        let before = Manifest::parse(old);
                        let after = Manifest::parse(&file.contents);
                        let changed: Vec<&str> = after
                            .inputs
                            .iter()
                            .filter(|i| !before.inputs.contains(i))
                            .map(|(path, _)| path.as_str())
                            .collect();
                        Reason::whole(match changed.is_empty() {
                            true => "stale: lists other files".to_owned(),
                            false => format!("stale: records an earlier {}", changed.join(", ")),
                        })
                    }
                    _ => Reason::whole("missing"),
                }];
                found.changes.push(Change {
                    kind: if old.is_some() {
                        ChangeKind::Update
                    } else {
                        ChangeKind::Create
                    },
                    path: file.path,
                    artifact: true,
                    old,
                    new: Some(file.contents),
                    reasons,
                });
            }
            Err(message) => self.problems.push(Problem {
                file: self.shown(&file.path),
                at: None,
                message,
            }),
        }
    }

    /// Two names for one file (a symlink and its target) would give it two owners.
    fn refuse_aliases(&mut self) {
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

    /// A file's text; `Ok(None)` when it does not exist. Refuses paths that
    /// lead out of the registry's directory through a symlink.
    /// [`Planner::read`], unless the file already holds exactly `expected`:
    /// that is compared in chunks, so a file that is up to date is never held
    /// in memory whole (ports.json runs to 15 MB for a full port space).
    fn read_unless_same(&self, rel: &str, expected: &str) -> Result<Same, String> {
        let same = self.resolve(rel).ok().is_some_and(|path| {
            fs::metadata(&path).is_ok_and(|m| m.is_file())
                && transaction::holds(&path, expected.as_bytes()) == Ok(true)
        });
        if same {
            return Ok(Same::Yes);
        }
        self.read(rel).map(Same::No)
    }

    fn resolve(&self, rel: &str) -> Result<PathBuf, String> {
        resolve_under(
            self.root,
            self.real_root.as_ref().map_err(Clone::clone)?,
            rel,
        )
    }

    fn read(&self, rel: &str) -> Result<Option<String>, String> {
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
fn canonical(root: &Path) -> Result<PathBuf, String> {
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
fn real_path(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => real_path(dir).join(name),
        _ => path.to_path_buf(),
    }
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
        let manifest = self.manifest.as_deref().and_then(|path| {
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
            Some((change, old.as_str(), both.render()))
        });
        if let Some((change, old, both)) = &manifest {
            let write = transaction::Write {
                rel: &change.path,
                shown: self.shown(change),
                old: Some(old.as_bytes()),
                new: Some(both.as_bytes()),
                journal: true,
            };
            transaction::commit(lock, &[write], permit, &dirs).map_err(problem)?;
        }
        // The manifest is replaced last, in a step of its own, so until every
        // other file is in place (and every removed file gone) it still lists
        // what each held; a first one is created first, so every file a
        // killed first sync wrote is already recorded.
        let is_manifest = |c: &&Change| self.manifest.as_deref() == Some(c.path.as_str());
        fn write<'c>(plan: &Plan, c: &'c Change) -> transaction::Write<'c> {
            transaction::Write {
                rel: &c.path,
                shown: plan.shown(c),
                old: c.old.as_deref().map(str::as_bytes),
                new: c.new.as_deref().map(str::as_bytes),
                journal: false,
            }
        }
        let (last, writes): (Vec<&Change>, Vec<&Change>) = match &manifest {
            Some(_) => self.changes.iter().partition(is_manifest),
            None => (Vec::new(), self.changes.iter().collect()),
        };
        let created = |c: &&&Change| is_manifest(c) && c.old.is_none();
        let writes: Vec<transaction::Write<'_>> = writes
            .iter()
            .filter(created)
            .chain(writes.iter().filter(|c| !is_manifest(c)))
            .chain(writes.iter().filter(|c| is_manifest(c) && !created(c)))
            .map(|c| write(self, c))
            .collect();
        let result = transaction::commit(lock, &writes, permit, &dirs).map_err(problem);
        let Some((change, old, both)) = &manifest else {
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
            ..write(self, change)
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
