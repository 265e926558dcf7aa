//! The `sync:` section an import proposes: the files of the repository that
//! repeat an imported port, each value with its place, as the entries that
//! would own them. A value several services or environments could mean is
//! listed, never guessed; every proposed entry is checked by planning a sync
//! with it, and one that would change a file or fail is left out and said.

use super::*;
use crate::edit::unowned_ports;
use crate::model::FileFormat;
use crate::render::Holder;
use std::path::Path;

/// Directories never searched: version control, dependencies, build output,
/// and Portolan's own rendered files.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    "vendor",
    "dist",
    "build",
    "venv",
    ".venv",
    "__pycache__",
    "generated",
];
/// The search is bounded: a repository is untrusted input.
const MAX_FILES: usize = 5_000;
const MAX_FILE_BYTES: u64 = 256 << 10;
const MAX_DEPTH: usize = 12;

/// One value a file repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Found {
    /// The file, relative to the searched directory, `/`-separated.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The key path, variable or line pattern that would own it.
    pub key: String,
    /// The port.
    pub port: u16,
    /// What it is: `the port of `courier api` (production)`, or, when the
    /// value is not attributed, every holder.
    pub what: String,
    /// The value template that would own it; `None` when the port is not
    /// one holder's, or when the entry would not hold (see `what`).
    pub template: Option<String>,
}

/// What the search found and the section it proposes.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Proposal {
    /// Every value found, in file and line order.
    pub found: Vec<Found>,
    /// The `sync:` section (empty when nothing is proposed).
    pub section: String,
    /// Files the search left out: too large, not UTF-8, or past the bounds.
    pub skipped: Vec<String>,
}

/// Searches `root` for files that repeat a port of `registry` (the imported
/// ports.yaml at `registry_path`, relative to `root`; `exclude` are paths
/// never proposed, such as the imported source).
pub fn propose(
    root: &Path,
    registry_path: &str,
    registry: &crate::Registry,
    exclude: &[String],
) -> Proposal {
    // Several environments: each call names its own.
    let rows = crate::render::rows(registry);
    let holders = crate::render::holders(&rows, registry.environments.len() > 1);
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    walk(root, "", 0, &mut files, &mut skipped);
    files.retain(|f| f != registry_path && !exclude.contains(f));
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let path = root.join(&file);
        let text = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                skipped.push(format!("{file}: larger than {} KiB", MAX_FILE_BYTES >> 10));
                continue;
            }
            Ok(_) => match std::fs::read(&path).map(String::from_utf8) {
                Ok(Ok(text)) => text,
                _ => continue,
            },
            Err(_) => continue,
        };
        found.extend(in_file(&file, &text, &holders));
    }
    let mut proposal = Proposal {
        found,
        section: String::new(),
        skipped,
    };
    proposal.section = section(&proposal.found);
    proposal
}

fn walk(root: &Path, rel: &str, depth: usize, files: &mut Vec<String>, skipped: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        skipped.push(format!("{rel}/: deeper than {MAX_DEPTH} directories"));
        return;
    }
    let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let path = match rel {
            "" => name.clone(),
            _ => format!("{rel}/{name}"),
        };
        // Symlinks are not followed: they may lead out of the repository.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) && !name.starts_with('.') {
                walk(root, &path, depth + 1, files, skipped);
            }
        } else if kind.is_file() && format_of(&name).is_some() {
            if files.len() >= MAX_FILES {
                skipped.push(format!("{path}: past the first {MAX_FILES} files"));
                return;
            }
            files.push(path);
        }
    }
}

/// How a file would be owned: by its name's format, or as text for the
/// files that repeat ports in lines (Dockerfiles, Makefiles, scripts).
fn format_of(name: &str) -> Option<FileFormat> {
    FileFormat::from_path(name).or_else(|| {
        let text = name.starts_with("Dockerfile")
            || name.ends_with(".dockerfile")
            || matches!(name, "Makefile" | "makefile" | "Tiltfile" | "Procfile")
            || [".mk", ".py", ".sh", ".js", ".ts", ".ini", ".conf"]
                .iter()
                .any(|ext| name.ends_with(ext));
        text.then_some(FileFormat::Text)
    })
}

/// A file being searched: its lines, and who holds each port.
struct Search<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
    holders: &'a HashMap<u16, Vec<Holder>>,
}

impl Search<'_> {
    /// `port` at `line`, which `key` would own: proposed as its holder's
    /// call, or listed with every holder when several hold it; `None` when
    /// no port of the registry is that number.
    fn found(&self, key: String, port: u16, line: usize) -> Option<Found> {
        let all = self.holders.get(&port)?;
        let (what, template) = match all.as_slice() {
            [one] => (one.who.clone(), Some(format!("{{{{ {} }}}}", one.call))),
            several => (
                format!(
                    "held by {}: not proposed, own it by hand if it is one of them",
                    several
                        .iter()
                        .map(|h| h.who.clone())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                None,
            ),
        };
        Some(Found {
            file: self.file.to_owned(),
            line,
            column: self.column(line, port),
            key,
            port,
            what,
            template,
        })
    }

    /// The 1-based column of `port` on `line`, else 1.
    fn column(&self, line: usize, port: u16) -> usize {
        let text = self
            .lines
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or("");
        number_at(text, port).map_or(1, |at| text[..at].chars().count() + 1)
    }
}

fn in_file(file: &str, text: &str, holders: &HashMap<u16, Vec<Holder>>) -> Vec<Found> {
    let name = file.rsplit('/').next().unwrap_or(file);
    let Some(format) = format_of(name) else {
        return Vec::new();
    };
    let search = Search {
        file,
        lines: text.lines().collect(),
        holders,
    };
    match format {
        FileFormat::Text => in_lines(&search),
        _ => in_values(&search, format, text),
    }
}

/// The lines of a text file that repeat one port, each as the line pattern
/// that would own it.
fn in_lines(search: &Search<'_>) -> Vec<Found> {
    let lines = &search.lines;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_ascii_lowercase();
        let numbers = numbers_in(line);
        let times = |port: u16| numbers.iter().filter(|(_, n)| *n == port).count();
        // A line that repeats one port (`EXPOSE 8001`,
        // `PORT ?= 8001`, `--bind 0.0.0.0:8001`); two numbers would
        // need two patterns.
        let ports: Vec<(usize, u16)> = numbers
            .iter()
            .copied()
            .filter(|(at, n)| {
                search.holders.contains_key(n)
                    && (lower.contains("port")
                        || lower.contains("expose")
                        || line[..*at].ends_with(':'))
            })
            .collect();
        // The port written twice (`8001:8001`) would stay in the
        // pattern: listed, for a pattern written by hand.
        if let [(_, port)] = ports.as_slice()
            && times(*port) > 1
            && let Some(mut f) = search.found(line.trim().to_owned(), *port, i + 1)
        {
            f.template = None;
            f.what = format!(
                "{}, twice on one line; not proposed: own it with a line pattern written by hand",
                f.what
            );
            out.push(f);
        } else if let [(at, port)] = ports.as_slice() {
            let digits = port.to_string();
            let pattern = format!(
                "{}(\\d+){}",
                regex_lite::escape(&line[..*at]),
                regex_lite::escape(&line[at + digits.len()..])
            );
            if let Some(f) = search.found(pattern, *port, i + 1) {
                out.push(f);
            }
        }
    }
    // A line written twice would match twice: not a pattern.
    out.retain(|f| lines.iter().filter(|l| **l == lines[f.line - 1]).count() == 1);
    out
}

/// The values of a YAML, JSON, TOML or dotenv file that are ports, each
/// owned by its key.
fn in_values(search: &Search<'_>, format: FileFormat, text: &str) -> Vec<Found> {
    unowned_ports(format, text, &[], &[])
        .into_iter()
        .filter_map(|u| {
            let mut found = search.found(u.key, u.port, crate::edit::line_col(text, u.offset).0)?;
            // Only a whole value is owned by its key: `"8001:8000"`
            // would need a line pattern.
            if !u.whole && found.template.is_some() {
                found.template = None;
                found.what = format!(
                    "{} inside a longer value; not proposed: own it with a line pattern (`format: text`)",
                    found.what
                );
            }
            Some(found)
        })
        .collect()
}

fn number_at(line: &str, port: u16) -> Option<usize> {
    numbers_in(line)
        .into_iter()
        .find(|(_, n)| *n == port)
        .map(|(at, _)| at)
}

/// Every whole decimal number of `line` that is a port, with its byte offset.
fn numbers_in(line: &str) -> Vec<(usize, u16)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let whole = i == bytes.len() || !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.');
            if let Ok(n) = line[start..i].parse::<u16>()
                && whole
                && n > 0
                && !line[start..i].starts_with('0')
            {
                out.push((start, n));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The `sync:` entries owning every attributed value, by file.
fn section(found: &[Found]) -> String {
    let mut by_file: BTreeMap<&str, Vec<&Found>> = BTreeMap::new();
    for f in found.iter().filter(|f| f.template.is_some()) {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    let mut out = String::new();
    for (file, values) in by_file {
        let name = file.rsplit('/').next().unwrap_or(file);
        let _ = writeln!(out, "  - file: {}", scalar(file));
        if FileFormat::from_path(name).is_none() {
            out.push_str("    format: text\n");
        }
        out.push_str("    values:\n");
        let mut seen = HashSet::new();
        for f in values {
            if !seen.insert(f.key.as_str()) {
                continue;
            }
            let template = f.template.as_deref().unwrap_or_default();
            let key = match f
                .key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.[]=".contains(c))
            {
                true => f.key.clone(),
                false => single_quoted(&f.key),
            };
            let _ = writeln!(out, "      {key}: {}", quote(template));
        }
    }
    out
}

use crate::yaml::single_quoted;

impl Proposal {
    /// Checks the proposal by planning a sync of `yaml` (the imported
    /// registry, to be written at `registry_name`) with its section: an
    /// entry whose file the plan would change or cannot edit is left out,
    /// and its values say so. Returns the registry text with what remains.
    pub fn checked(mut self, registry_name: &str, yaml: &str) -> (Proposal, String) {
        for _ in 0..4 {
            if self.section.is_empty() {
                return (self, yaml.to_owned());
            }
            let full = format!(
                "{yaml}\n# Files that repeat the ports, found by `portolan import`.\nsync:\n{}",
                self.section
            );
            let source = Source::new(registry_name, full.as_str());
            let report = crate::check(&source);
            let Some(registry) = report.valid_registry() else {
                return (self, yaml.to_owned());
            };
            let failing: Vec<(String, String)> = match crate::sync::plan(&source, registry) {
                Ok(plan) => plan
                    .changes
                    .iter()
                    .filter(|c| !c.artifact)
                    .map(|c| (c.path.clone(), "a sync would change it".to_owned()))
                    .collect(),
                Err(problems) => problems
                    .into_iter()
                    .map(|p| (p.file.clone(), p.message.clone()))
                    .collect(),
            };
            let mut dropped = false;
            for f in self.found.iter_mut().filter(|f| f.template.is_some()) {
                if let Some((_, why)) = failing
                    .iter()
                    .find(|(file, _)| file.ends_with(f.file.as_str()))
                {
                    f.template = None;
                    f.what = format!("{}; not proposed: {why}", f.what);
                    dropped = true;
                }
            }
            if !dropped {
                return (self, full);
            }
            self.section = section(&self.found);
        }
        (self, yaml.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_two_holders_have_is_listed_not_proposed() {
        let holder = |service: &str, env: &str| Holder {
            environment: Some(env.to_owned()),
            who: format!("the port of `{service} api` ({env})"),
            call: format!("port('{service}')"),
        };
        let mut holders = HashMap::new();
        holders.insert(8001, vec![holder("a", "kind"), holder("b", "shared")]);
        let found = in_file("app.yaml", "server:\n  port: 8001\n", &holders);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].template, None);
        assert_eq!(
            found[0].what,
            "held by the port of `a api` (kind) and the port of `b api` (shared): not proposed, own it by hand if it is one of them"
        );
        assert_eq!((found[0].line, found[0].column), (2, 9));
        // Text: one port per line, on a line that says it is a port.
        let found = in_file(
            "Makefile",
            "PORT ?= 8001\nsleep 8001\nMAP = 8001:8001\n",
            &holders,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].key, r"PORT \?= (\d+)");
        assert_eq!(found[1].line, 3);
        assert!(found[1].what.ends_with(
            "twice on one line; not proposed: own it with a line pattern written by hand"
        ));
    }
}
