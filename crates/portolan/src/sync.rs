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
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Write as _};
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
        match self.at {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
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
}

/// Renders and reads everything the registry produces and owns, and compares.
/// `source` must be the text `registry` was loaded from (its hash goes into
/// the manifest). Nothing is written.
pub fn plan(source: &Source, registry: &Registry) -> Result<Plan, Vec<Problem>> {
    let root = match source.path().parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let shown_root = match source.path().parent() {
        Some(p) if !p.as_os_str().is_empty() => format!("{}/", p.display()),
        _ => String::new(),
    };
    let mut cx = Planner {
        source,
        root: &root,
        real_root: canonical(&root),
        shown_root: &shown_root,
        problems: Vec::new(),
        claimed: BTreeMap::new(),
    };
    // The template engine converts the whole registry: build it only for a
    // registry with templates or team-owned files.
    let engine = std::cell::OnceCell::new();
    let engine = || engine.get_or_init(|| Engine::new(registry));

    // Artifacts: built-ins, then user templates. Built-ins are rendered one
    // at a time as they are compared, so only one is in memory at once.
    let rows = render::rows(registry);
    let mut files = render::artifact_jobs(registry, &rows);
    for (path, _) in &files {
        cx.claim(path, &registry.render.dir);
    }
    let mut inputs = vec![(
        source.path().file_name().map_or_else(
            || "ports.yaml".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
        manifest::digest(source.text().as_bytes()),
    )];
    for t in &registry.render.templates {
        let text = match cx.read(&t.template.value) {
            Ok(Some(text)) => text,
            Ok(None) => {
                cx.located(
                    &t.template,
                    format!("template `{}` does not exist", t.template.value),
                );
                continue;
            }
            Err(message) => {
                cx.located(&t.template, message);
                continue;
            }
        };
        inputs.push((t.template.value.clone(), manifest::digest(text.as_bytes())));
        for (path, scope) in render::expand(registry, &t.output.value) {
            match engine().render_file(&t.template.value, &text, &scope) {
                Ok(contents) => {
                    cx.claim(&path, &t.output);
                    files.push((path, Box::new(move || contents)));
                }
                Err(message) => cx.problems.push(Problem {
                    file: cx.shown(&t.template.value),
                    at: None,
                    message: format!("rendering {path}: {message}"),
                }),
            }
        }
    }
    inputs.sort();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let manifest_path = format!(
        "{}/{}",
        registry.render.dir.value.trim_end_matches('/'),
        manifest::FILE_NAME
    );
    cx.claim(&manifest_path, &registry.render.dir);
    let manifest = Manifest {
        inputs,
        files: files.iter().map(|(path, _)| path.clone()).collect(),
    };

    let mut changes = Vec::new();
    let mut unchanged = 0;
    let manifest_path_ = manifest_path.clone();
    let mut compare =
        |cx: &mut Planner, file: File| match cx.read_unless_same(&file.path, &file.contents) {
            Ok(Same::Yes) => unchanged += 1,
            Ok(Same::No(Some(old))) if old == file.contents => unchanged += 1,
            Ok(Same::No(old)) => {
                let reasons = vec![match &old {
                    // Hashes say nothing to a reader: name the inputs that changed.
                    Some(old) if file.path == manifest_path_ => {
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
                    Some(old) => first_difference(old, &file.contents),
                    None => "missing".to_owned(),
                }];
                changes.push(Change {
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
            Err(message) => cx.problems.push(Problem {
                file: cx.shown(&file.path),
                at: None,
                message,
            }),
        };
    let previous = match cx.read(&manifest_path) {
        Ok(Some(text)) => Some(Manifest::parse(&text)),
        Ok(None) => None,
        Err(message) => {
            cx.problems.push(Problem {
                file: cx.shown(&manifest_path),
                at: None,
                message,
            });
            None
        }
    };
    for (path, render) in files {
        let contents = render();
        compare(&mut cx, File { path, contents });
    }
    if !manifest.files.is_empty() || previous.is_some() {
        compare(
            &mut cx,
            File {
                path: manifest_path.clone(),
                contents: manifest.render(),
            },
        );
    }

    // Team-owned files: splice the owned values.
    for target in &registry.sync {
        for (path, scope) in render::expand(registry, &target.file.value) {
            if !cx.claim(&path, &target.file) {
                continue;
            }
            match cx.patch(engine(), target, &path, &scope) {
                Ok(Some(change)) => changes.push(change),
                Ok(None) => unchanged += 1,
                Err(problem) => cx.problems.push(problem),
            }
        }
    }

    // Orphans: files the last sync rendered that the registry no longer produces.
    if let Some(previous) = previous {
        // A path still rendered, synced, read as a template or holding the
        // manifest is not an orphan, whatever the last manifest says.
        let wanted: BTreeSet<&str> = manifest
            .files
            .iter()
            .map(String::as_str)
            .chain(cx.claimed.keys().map(String::as_str))
            .chain(
                registry
                    .render
                    .templates
                    .iter()
                    .map(|t| t.template.value.as_str()),
            )
            .chain([manifest_path.as_str()])
            .collect();
        let orphans: Vec<&String> = previous
            .files
            .iter()
            .filter(|p| !wanted.contains(p.as_str()))
            .collect();
        for path in orphans {
            // The manifest is a file in the repository: never trust it to name a path outside.
            if check_relative_path(path, false).is_err() {
                cx.problems.push(Problem {
                    file: cx.shown(&manifest_path),
                    at: None,
                    message: format!(
                        "lists `{path}`, which is not a path inside the registry's directory"
                    ),
                });
                continue;
            }
            match cx.read(path) {
                Ok(Some(old)) => changes.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Remove,
                    artifact: true,
                    old: Some(old),
                    new: None,
                    reasons: vec!["no longer produced by ports.yaml".to_owned()],
                }),
                Ok(None) => {}
                Err(message) => cx.problems.push(Problem {
                    file: cx.shown(path),
                    at: None,
                    message,
                }),
            }
        }
    }

    // Two names for one file (a symlink and its target) would give it two owners.
    let mut real: BTreeMap<PathBuf, &str> = BTreeMap::new();
    let mut aliased = Vec::new();
    for path in cx.claimed.keys() {
        if let Ok(resolved) = cx.resolve(path)
            && let Some(first) = real.insert(real_path(&resolved), path)
        {
            aliased.push(Problem {
                file: cx.shown(path),
                at: None,
                message: format!("is the same file as `{first}`; each file has one owner"),
            });
        }
    }
    cx.problems.extend(aliased);
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        root,
        shown_root,
        changes,
        unchanged,
    })
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
}

impl Planner<'_> {
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

    /// Records that `path` is produced by `by`; a second claim is a problem.
    fn claim(&mut self, path: &str, by: &Text) -> bool {
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
        use std::io::Read;
        let same = (|| {
            let path = self.resolve(rel).ok()?;
            if !fs::metadata(&path).ok()?.is_file() {
                return None;
            }
            let mut file = fs::File::open(path).ok()?;
            if file.metadata().ok()?.len() != expected.len() as u64 {
                return Some(false);
            }
            let mut rest = expected.as_bytes();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut buf).ok()?;
                if n == 0 {
                    return Some(rest.is_empty());
                }
                if n > rest.len() || buf[..n] != rest[..n] {
                    return Some(false);
                }
                rest = &rest[n..];
            }
        })();
        if same == Some(true) {
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
                Current::Scalar(now) => {
                    reasons.push(format!("{kp} is {now}, ports.yaml says {value}"));
                }
                Current::Missing => {
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
        if reasons.is_empty() {
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

/// `root/rel`, refused when `rel` is not a plain relative path or when a
/// symlink on the way leads out of `root`.
pub fn resolve(root: &Path, rel: &str) -> Result<PathBuf, String> {
    resolve_under(root, &canonical(root)?, rel)
}

/// `root` with every symlink followed, once per plan or apply rather than once per file.
fn canonical(root: &Path) -> Result<PathBuf, String> {
    root.canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", root.display()))
}

/// [`resolve`] with `root` already canonical.
fn resolve_under(root: &Path, canonical_root: &Path, rel: &str) -> Result<PathBuf, String> {
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
                c.reasons.iter().map(move |r| format!("{shown}: {r}"))
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

    /// Writes every change, all-or-nothing: each new text goes to a temporary
    /// file beside its target first; only when all are written are they renamed
    /// into place, and a failed rename puts back the files already replaced.
    pub fn apply(&self) -> Result<(), Problem> {
        let fail = |c: &Change, message: String| Problem {
            file: self.shown(c),
            at: None,
            message,
        };
        // 1. Stage: temporary files (and trash names for removals).
        let mut staged: Vec<(usize, PathBuf, PathBuf)> = Vec::new();
        let cleanup = |staged: &[(usize, PathBuf, PathBuf)]| {
            for (_, temp, _) in staged {
                let _ = fs::remove_file(temp);
            }
        };
        let mut targets: BTreeMap<PathBuf, &str> = BTreeMap::new();
        let real_root = canonical(&self.root);
        for (i, c) in self.changes.iter().enumerate() {
            let target = match real_root
                .as_deref()
                .map_err(Clone::clone)
                .and_then(|real_root| resolve_under(&self.root, real_root, &c.path))
            {
                Ok(t) => t,
                Err(m) => {
                    cleanup(&staged);
                    return Err(fail(c, m));
                }
            };
            // Two names for one file (a symlink and its target) would race.
            if let Some(first) = targets.insert(target.clone(), &c.path) {
                cleanup(&staged);
                return Err(fail(
                    c,
                    format!(
                        "is the same file as `{first}`; each file has one owner; no file was changed"
                    ),
                ));
            }
            let temp = temp_path(&target);
            if let Some(new) = &c.new
                && let Err(e) = stage(&target, &temp, new.as_bytes())
            {
                let _ = fs::remove_file(&temp);
                cleanup(&staged);
                return Err(fail(c, format!("cannot write: {e}; no file was changed")));
            }
            staged.push((i, temp, target));
        }
        // 2. Commit: rename into place; on failure, undo what was done.
        for (done, (i, temp, target)) in staged.iter().enumerate() {
            let c = &self.changes[*i];
            let result = match c.new {
                Some(_) => fs::rename(temp, target),
                // A removal moves the file aside first, so it can be put back.
                None => fs::rename(target, temp),
            };
            if let Err(e) = result {
                let mut unrestored = Vec::new();
                for (j, temp, target) in staged[..done].iter().rev() {
                    let c = &self.changes[*j];
                    let restored = match (&c.old, &c.new) {
                        (_, None) => fs::rename(temp, target),
                        (Some(old), Some(_)) => {
                            let t = temp_path(target);
                            stage(target, &t, old.as_bytes())
                                .and_then(|()| fs::rename(&t, target))
                                .inspect_err(|_| {
                                    let _ = fs::remove_file(&t);
                                })
                        }
                        (None, Some(_)) => fs::remove_file(target),
                    };
                    if restored.is_err() {
                        unrestored.push(self.shown(c));
                    }
                }
                for (j, temp, _) in &staged[done..] {
                    if self.changes[*j].new.is_some() {
                        let _ = fs::remove_file(temp);
                    }
                }
                let after = match unrestored.is_empty() {
                    true => "the files already written were restored".to_owned(),
                    false => format!(
                        "could not restore {}; check them by hand",
                        unrestored.join(", ")
                    ),
                };
                return Err(fail(c, format!("cannot replace: {e}; {after}")));
            }
        }
        // 3. Removals are final once everything else is in place.
        for (i, temp, _) in &staged {
            if self.changes[*i].new.is_none() {
                let _ = fs::remove_file(temp);
            }
        }
        // 4. Make the renames durable, and sweep temporary files that a
        // killed sync left behind in the same directories.
        let dirs: BTreeSet<&Path> = staged.iter().filter_map(|(_, _, t)| t.parent()).collect();
        for dir in dirs {
            sync_dir(dir);
            remove_stale_temps(dir);
        }
        Ok(())
    }
}

/// Flushes a directory's entries, so a rename survives a power loss.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes `.NAME.portolan-PID.tmp` files of processes that no longer run
/// (a sync killed mid-way). Only where liveness can be read (/proc).
fn remove_stale_temps(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.starts_with('.'))
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once(".portolan-"))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// What differs in a stale artifact, in one line: its first changed line and
/// how many lines differ in all (a changed line counts once).
fn first_difference(old: &str, new: &str) -> String {
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
    let line = |text: &str| text.trim_end_matches(['\n', '\r']).to_owned();
    let first = match (removed, added) {
        (Some((i, old)), Some((_, new))) => format!(
            "line {} is `{}`, ports.yaml says `{}`",
            i + 1,
            line(old),
            line(new)
        ),
        (None, Some((i, new))) => format!("line {} `{}` is missing", i + 1, line(new)),
        (Some((i, old)), None) => format!("line {} `{}` should not be there", i + 1, line(old)),
        (None, None) => "the last line's ending differs".to_owned(),
    };
    match count {
        0 | 1 => format!("stale: {first}"),
        n => format!("stale: {first} ({n} lines differ)"),
    }
}

/// Replaces `target` with `bytes` through a temporary file and a rename.
#[cfg_attr(not(feature = "allocate"), allow(dead_code))]
pub(crate) fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path(target);
    stage(target, &temp, bytes)
        .and_then(|()| fs::rename(&temp, target))
        .inspect_err(|_| {
            let _ = fs::remove_file(&temp);
        })
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.portolan-{}.tmp", std::process::id()))
}

/// Writes `bytes` to `temp` (creating `target`'s directory) with `target`'s
/// permissions, and flushes it to disk.
fn stage(target: &Path, temp: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::File::create(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    if let Ok(meta) = fs::metadata(target) {
        fs::set_permissions(temp, meta.permissions())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn a_changed_line_counts_once() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n"),
            "stale: line 2 is `b`, ports.yaml says `B`"
        );
        assert_eq!(
            first_difference("a\nb\nc\n", "A\nb\nC\nd\n"),
            "stale: line 1 is `a`, ports.yaml says `A` (3 lines differ)"
        );
        assert_eq!(
            first_difference("a\n", "a\nb\n"),
            "stale: line 2 `b` is missing"
        );
    }

    #[test]
    fn line_endings_alone_are_named() {
        assert_eq!(
            first_difference("a\r\nb\r\n", "a\nb\n"),
            "stale: only line endings differ (the file has CRLF, ports.yaml renders LF)"
        );
    }
}
