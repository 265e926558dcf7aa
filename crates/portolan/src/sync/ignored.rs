//! Generated files git ignores: a team whose `.gitignore` says `*.env` never
//! commits `generated/dev.env`, and `check` on a fresh clone would say it is
//! missing, which no sync there can fix. Git itself decides (nested ignore
//! files, `info/exclude`, global excludes), and names the rule.

use super::outputs::Outputs;
use super::*;
use std::io::Write as _;
use std::process::{Command, Stdio};

impl Planner<'_> {
    /// Files git would never commit, so a fresh clone lacks them: of the
    /// rendered files and their manifest, and the team files Portolan keeps
    /// in sync, those git ignores, each a problem naming the rule.
    pub(super) fn ignored(
        &self,
        registry: &Registry,
        outputs: &Outputs<'_>,
        manifest_path: &str,
    ) -> Vec<Problem> {
        let mut watched: Vec<String> = outputs.files.iter().map(|(p, _)| p.clone()).collect();
        watched.push(manifest_path.to_owned());
        for target in &registry.sync {
            for (path, _) in render::expand(registry, &target.file.value) {
                if self.resolve(&path).is_ok_and(|p| p.exists()) {
                    watched.push(path);
                }
            }
        }
        watched.sort();
        watched.dedup();
        let watched: Vec<&str> = watched.iter().map(String::as_str).collect();
        ignored(self.root, &watched)
            .into_iter()
            .map(|(path, rule)| Problem {
                file: format!("{}{path}", self.shown_root),
                at: None,
                message: format!(
                    "git ignores it (rule `{}`), so it is never committed and a fresh clone lacks it: change the ignore rules so git keeps it (`git check-ignore -v {}` names the rule; a directory ignored whole must be un-ignored first)",
                    printable(&rule),
                    printable(&path)
                ),
            })
            .collect()
    }
}

/// The `paths` (relative to `root`) git ignores and does not track, each with
/// the rule (`.gitignore:3: *.env`). Empty outside a git repository or
/// without git.
pub(super) fn ignored(root: &Path, paths: &[&str]) -> Vec<(String, String)> {
    if paths.is_empty() {
        return Vec::new();
    }
    // The repository is untrusted: nothing in its config may run a command.
    let child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "check-ignore",
            "--verbose",
            "--stdin",
            "-z",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return Vec::new();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let mut input = Vec::new();
        for p in paths {
            input.extend_from_slice(p.as_bytes());
            input.push(0);
        }
        // Fed from its own thread would be needed for huge lists; the paths
        // are the registry's outputs, a few kilobytes.
        let _ = stdin.write_all(&input);
    }
    let Ok(out) = child.wait_with_output() else {
        return Vec::new();
    };
    // -z --verbose: source, line, pattern, path, each ended by NUL.
    let fields: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
    fields
        .chunks_exact(4)
        .filter_map(|f| {
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let (source, line, pattern, path) = (text(f[0]), text(f[1]), text(f[2]), text(f[3]));
            // A negated rule (`!generated/*.env`) means not ignored.
            (!source.is_empty() && !pattern.starts_with('!'))
                .then(|| (path, format!("{source}:{line}: {pattern}")))
        })
        .collect()
}
