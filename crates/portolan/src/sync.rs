//! Keeps files in step with the registry: the artifacts Portolan owns (written
//! whole) and the values it owns in the team's files (spliced by [`crate::edit`]).
//!
//! [`plan`] reads and renders everything in memory and touches nothing; the
//! same plan answers `check` (is anything stale?), `sync --dry-run` (the diff)
//! and `sync` ([`Plan::apply`], all-or-nothing).

use crate::edit::{Current, Document, Item, Value};
use crate::manifest::{self, Manifest};
use crate::model::{KeyPath, Registry, Text, check_relative_path};
use crate::render::{self, Engine, File, Scope};
use crate::source::Source;
use crate::transaction;
pub use crate::transaction::{Lock, Permit};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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

/// `text` with control characters escaped: names and values come from the
/// repository, and an escape sequence could rewrite a terminal's or CI log's
/// earlier lines.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| match c.is_control() {
                true => c.escape_default().to_string(),
                false => c.to_string(),
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
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
    /// What differs, one line each: `port is 9765, ports.yaml says 9767`.
    pub reasons: Vec<String>,
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
pub fn plan(source: &Source, registry: &Registry) -> Result<Plan, Vec<Problem>> {
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
    cx.claim_own(&manifest_path, &registry.render.dir);
    let previous = cx.previous_manifest(&manifest_path);
    let mut found = cx.compare_outputs(outputs, &manifest_path, previous.as_ref());

    // Team-owned files: splice the owned values.
    for target in &registry.sync {
        for (path, scope) in render::expand(registry, &target.file.value) {
            if !cx.claim(&path, &target.file) {
                continue;
            }
            match cx.patch(engine(), target, &path, &scope) {
                Ok(Some(change)) => found.changes.push(change),
                Ok(None) => found.unchanged += 1,
                Err(problem) => cx.problems.push(problem),
            }
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
                        match changed.is_empty() {
                            true => "stale: lists other files".to_owned(),
                            false => format!("stale: records an earlier {}", changed.join(", ")),
                        }
                    }
                    // A template may be any file of the repository, so a
                    // rendered line is not quoted: `check` prints it in CI.
                    Some(old) => {
                        first_difference(old, &file.contents, !from_templates.contains(&file.path))
                    }
                    None => "missing".to_owned(),
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

    /// A killed sync's record of the team files it was editing: only paths
    /// the registry's `sync` entries (or the registry itself) could name.
    fn edits_of_killed_run(&self, registry: &Registry, previous: Option<&Manifest>) -> Vec<String> {
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
    fn orphans(
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
    fn removal(
        &self,
        registry: &Registry,
        path: &str,
        hashes: &[&String],
        manifest_path: &str,
        changes: &mut Vec<Change>,
    ) -> Option<Problem> {
        let in_manifest = |message: String| {
            Some(Problem {
                file: self.shown(manifest_path),
                at: None,
                message,
            })
        };
        let at_file = |message: String| {
            Some(Problem {
                file: self.shown(path),
                at: None,
                message,
            })
        };
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
                    reasons: vec!["no longer produced by ports.yaml".to_owned()],
                });
                None
            }
            Ok(None) => None,
            Err(message) => at_file(message),
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

    fn shown(&self, path: &str) -> String {
        format!("{}{path}", self.shown_root)
    }

    fn located(&mut self, text: &Text, message: String) {
        self.problems.push(Problem {
            file: self.source.name().to_owned(),
            at: Some((text.span.line as usize, text.span.column as usize)),
            message,
        });
    }

    /// Why Portolan may not write `path`, whatever ports.yaml says: inside
    /// `.git/` or one of the protected files, by name or through a symlink.
    fn forbidden(&self, path: &str) -> Option<String> {
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
    fn in_git(&self, path: &str) -> Option<String> {
        self.git_by_name(path)
            .or_else(|| self.git_by_link(&self.real(path)?))
    }

    fn git_by_name(&self, path: &str) -> Option<String> {
        path.split('/')
            .any(|c| c.eq_ignore_ascii_case(".git"))
            .then(|| "is inside .git/".to_owned())
    }

    /// Why `real`, a path with its symlinks followed, is in `.git/`.
    fn git_by_link(&self, real: &Path) -> Option<String> {
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
    fn real(&self, path: &str) -> Option<PathBuf> {
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
    fn about(&mut self, path: &str, message: String) {
        self.problems.push(Problem {
            file: self.shown(path),
            at: None,
            message,
        });
    }

    /// Claims the manifest's own path, which no entry may claim. It is
    /// written whole, so it may not be a symlink or lie in `.git/`.
    fn claim_own(&mut self, path: &str, by: &Text) {
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
    fn symlink(&self, path: &str) -> Option<String> {
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
    fn claim_output(&mut self, path: &str, by: &Text) -> bool {
        if let Some(why) = self.symlink(path) {
            self.located(by, format!("`{path}` {why}"));
            return false;
        }
        self.claim(path, by)
    }

    /// Records that `path` is produced by `by`; a second claim, or a path
    /// Portolan may not write, is a problem.
    fn claim(&mut self, path: &str, by: &Text) -> bool {
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

    fn patch(
        &self,
        engine: &Engine,
        target: &crate::model::SyncFile,
        path: &str,
        scope: &Scope,
    ) -> Result<Option<Change>, Problem> {
        let problem = |at: Option<(usize, usize)>, message: String| Problem {
            file: self.shown(path),
            at,
            message,
        };
        let in_registry = |text: &Text, message: String| Problem {
            file: self.source.name().to_owned(),
            at: Some((text.span.line as usize, text.span.column as usize)),
            message: format!("{path}: {message}"),
        };
        let old = self.read(path).map_err(|m| problem(None, m))?;
        let text = old.clone().unwrap_or_default();
        let doc = Document::parse(&text).map_err(|e| problem(e.line.map(|l| (l, 1)), e.message))?;
        let key_path = |t: &Text| KeyPath::parse(&t.value).map_err(|m| in_registry(t, m));

        let mut values = Vec::new();
        let mut reasons = Vec::new();
        for (key, template) in &target.values {
            let kp = key_path(key)?;
            let rendered = engine
                .render_str(&template.value, scope, &[])
                .map_err(|m| in_registry(template, m))?;
            let value = Value::from_rendered(&rendered);
            match doc
                .get(&kp)
                .map_err(|e| problem(e.line.map(|l| (l, 1)), e.message))?
            {
                Current::Scalar(now) if now == value.as_text() => {}
                // The current value is not quoted: `check` prints this in
                // CI, and a sync entry may name a file that holds a secret.
                Current::Scalar(_) => {
                    reasons.push(format!("{kp} differs, ports.yaml says {value}"));
                }
                Current::Missing => {
                    if old.is_some()
                        && let Some(near) = near_miss(&doc, &kp)
                    {
                        return Err(in_registry(key, near));
                    }
                    reasons.push(format!("{kp} is missing, ports.yaml says {value}"))
                }
                Current::Other => {
                    return Err(problem(
                        None,
                        format!("{kp} holds a list or mapping; Portolan owns it as a single value"),
                    ));
                }
            }
            values.push((kp, value));
        }
        let mut lists = Vec::new();
        for list in &target.lists {
            let kp = key_path(&list.key)?;
            let mut items = Vec::new();
            for row in engine.list_rows(scope.environment.as_deref()) {
                let extra = [
                    ("service", serde_json::json!(row.service)),
                    ("name", serde_json::json!(row.name)),
                    ("port", serde_json::json!(row.port)),
                    ("container_port", serde_json::json!(row.container_port)),
                    ("url", serde_json::json!(row.url)),
                    ("description", serde_json::json!(row.description)),
                    ("environment", serde_json::json!(row.environment)),
                ];
                let mut extra = extra.to_vec();
                // Absent, not null: strict undefined then names the problem.
                if let Some(np) = row.node_port {
                    extra.push(("node_port", serde_json::json!(np)));
                }
                let comment = match &list.comment {
                    Some(t) => Some(
                        engine
                            .render_str(&t.value, scope, &extra)
                            .map_err(|m| in_registry(t, m))?,
                    ),
                    None => None,
                };
                let mut fields = Vec::new();
                for (key, template) in &list.item {
                    let rendered = engine
                        .render_str(&template.value, scope, &extra)
                        .map_err(|m| in_registry(template, m))?;
                    fields.push((key.value.clone(), Value::from_rendered(&rendered)));
                }
                items.push(Item { comment, fields });
            }
            lists.push((kp, items));
        }
        let new = doc
            .apply(&values, &lists)
            .map_err(|e| problem(e.line.map(|l| (l, 1)), e.message))?;
        let Some(new) = new else {
            return Ok(old.is_none().then(|| Change {
                path: path.to_owned(),
                kind: ChangeKind::Create,
                artifact: false,
                old: None,
                new: Some(text),
                reasons: vec!["missing".to_owned()],
            }));
        };
        for (kp, _) in &lists {
            if doc.get(kp).ok() == Some(Current::Missing) {
                reasons.push(format!("{kp} is missing"));
            } else if !reasons.iter().any(|r| r.starts_with(&kp.to_string())) {
                reasons.push(format!("{kp} differs from ports.yaml"));
            }
        }
        if old.is_none() {
            // The file, not a key, is what is missing.
            reasons = vec!["missing; sync creates it with the values ports.yaml owns".to_owned()];
        } else if reasons.is_empty() {
            reasons.push("owned values differ from ports.yaml".to_owned());
        }
        Ok(Some(Change {
            path: path.to_owned(),
            kind: if old.is_some() {
                ChangeKind::Update
            } else {
                ChangeKind::Create
            },
            artifact: false,
            old,
            new: Some(new),
            reasons,
        }))
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

/// A missing key that is probably a typo for one the file has (`sever.port`
/// beside `server:`): adding it would leave the real value stale while the
/// file gains a key nobody reads. Says which key and how to go on either way.
fn near_miss(doc: &Document<'_>, kp: &KeyPath) -> Option<String> {
    let (step, keys) = doc.missing_step(kp)?;
    let crate::model::Segment::Key(missing) = kp.segments.get(step)? else {
        return None;
    };
    let best = crate::load::did_you_mean(missing, keys.iter().map(|(k, _)| k.as_str()))?;
    let line = keys.iter().find(|(k, _)| k == best).map_or(0, |(_, l)| *l);
    Some(format!(
        "`{kp}`: the file has no `{missing}`, but has `{best}` (line {line}); fix the key path if `{best}` is meant, or add `{missing}` to the file first if it is a new key"
    ))
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
    /// True when every file is up to date.
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty()
    }

    /// The path as the user sees it.
    pub fn shown(&self, change: &Change) -> String {
        format!("{}{}", self.shown_root, change.path)
    }

    /// One line per difference: `path: what differs`, sorted by path.
    pub fn drift(&self) -> Vec<String> {
        self.changes
            .iter()
            .flat_map(|c| {
                let shown = self.shown(c);
                c.reasons
                    .iter()
                    .map(move |r| format!("{}: {}", printable(&shown), printable(r)))
            })
            .collect()
    }

    /// The drift as JSON findings, shaped like [`crate::diag::json`]'s.
    pub fn drift_json(&self, fix: &str) -> Vec<serde_json::Value> {
        self.changes
            .iter()
            .flat_map(|c| {
                let shown = self.shown(c);
                let kind = match c.kind {
                    ChangeKind::Create => "missing",
                    ChangeKind::Update => "stale",
                    ChangeKind::Remove => "orphaned",
                };
                c.reasons.iter().map(move |r| {
                    serde_json::json!({
                        "file": shown,
                        "severity": "error",
                        "code": format!("{kind}-file"),
                        "message": r,
                        "help": format!("run `{fix}`"),
                    })
                })
            })
            .collect()
    }

    /// The closing line: what is out of date and the command that fixes it.
    pub fn summary(&self, fix: &str) -> String {
        match self.changes.len() {
            0 if self.unchanged == 0 => String::new(),
            0 => format!("{} files up to date", self.unchanged),
            1 => format!("1 file out of date; run `{fix}` to update it"),
            n => format!("{n} files out of date; run `{fix}` to update them"),
        }
    }

    /// A unified diff of every change.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let shown = self.shown(c);
            let old = c.old.as_deref().unwrap_or("");
            let new = c.new.as_deref().unwrap_or("");
            let diff = similar::TextDiff::from_lines(old, new);
            let a = if c.old.is_some() {
                format!("a/{shown}")
            } else {
                "/dev/null".to_owned()
            };
            let b = if c.new.is_some() {
                format!("b/{shown}")
            } else {
                "/dev/null".to_owned()
            };
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&a, &b)
                    .to_string(),
            );
        }
        out
    }

    /// Writes every change, all-or-nothing, under `lock` (taken before the
    /// files were read, so nothing changes between the plan and the write):
    /// each file is checked to be still what the plan read, staged beside
    /// itself, and only then are all renamed into place; a failure puts back
    /// what was already replaced. See [`crate::transaction`].
    pub fn apply(&self, lock: &Lock, permit: Permit) -> Result<(), Problem> {
        let problem = |f: transaction::Failure| Problem {
            file: f.shown,
            at: None,
            message: f.message,
        };
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
            reasons: vec!["edited".to_owned()],
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

/// What differs in a stale artifact, in one line: its first changed line and
/// how many lines differ in all (a changed line counts once). With `quote`
/// false the lines' text is left out (`stale: line 3 differs`).
fn first_difference(old: &str, new: &str, quote: bool) -> String {
    use similar::{ChangeTag, DiffOp};
    if old.replace("\r\n", "\n") == new.replace("\r\n", "\n") {
        let ending = |t: &str| if t.contains("\r\n") { "CRLF" } else { "LF" };
        return format!(
            "stale: only line endings differ (the file has {}, ports.yaml renders {})",
            ending(old),
            ending(new)
        );
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let count: usize = diff
        .ops()
        .iter()
        .map(|op| match *op {
            DiffOp::Equal { .. } => 0,
            DiffOp::Delete { old_len, .. } => old_len,
            DiffOp::Insert { new_len, .. } => new_len,
            DiffOp::Replace {
                old_len, new_len, ..
            } => old_len.max(new_len),
        })
        .sum();
    let (mut removed, mut added) = (None, None);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Equal => {}
            ChangeTag::Delete => {
                removed.get_or_insert((change.old_index().unwrap_or(0), change.value()));
            }
            ChangeTag::Insert => {
                added.get_or_insert((change.new_index().unwrap_or(0), change.value()));
            }
        }
    }
    let line = |text: &str| match text.trim_end_matches(['\n', '\r']) {
        "" => "an empty line".to_owned(),
        text => format!("`{text}`"),
    };
    let first = match (removed, added) {
        (Some((i, _)), _) | (None, Some((i, _))) if !quote => format!("line {} differs", i + 1),
        (Some((i, old)), Some((_, new))) => format!(
            "line {} is {}, ports.yaml says {}",
            i + 1,
            line(old),
            line(new)
        ),
        (None, Some((i, new))) => format!("line {} {} is missing", i + 1, line(new)),
        (Some((i, old)), None) => format!("line {} {} should not be there", i + 1, line(old)),
        (None, None) => "the last line's ending differs".to_owned(),
    };
    match count {
        0 | 1 => format!("stale: {first}"),
        n => format!("stale: {first} ({n} lines differ)"),
    }
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn a_changed_line_counts_once() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n", true),
            "stale: line 2 is `b`, ports.yaml says `B`"
        );
        assert_eq!(
            first_difference("a\nb\nc\n", "A\nb\nC\nd\n", true),
            "stale: line 1 is `a`, ports.yaml says `A` (3 lines differ)"
        );
        assert_eq!(
            first_difference("a\n", "a\nb\n", true),
            "stale: line 2 `b` is missing"
        );
    }

    #[test]
    fn template_lines_are_not_quoted() {
        assert_eq!(
            first_difference("a\nb\nc\n", "A\nb\nC\nd\n", false),
            "stale: line 1 differs (3 lines differ)"
        );
        assert_eq!(
            first_difference("a\n", "a\nb\n", false),
            "stale: line 2 differs"
        );
    }

    #[test]
    fn line_endings_alone_are_named() {
        assert_eq!(
            first_difference("a\r\nb\r\n", "a\nb\n", true),
            "stale: only line endings differ (the file has CRLF, ports.yaml renders LF)"
        );
    }
}
