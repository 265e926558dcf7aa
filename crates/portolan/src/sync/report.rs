//! What a plan says: drift lines for `check`, JSON, the summary and the diff.

use super::*;

impl Plan {
    /// True when every file is up to date.
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty()
            && self.gone.is_empty()
            && self.unmatched.is_empty()
            && self.strays.is_empty()
            && self.ignored.is_empty()
    }

    /// The path as the user sees it.
    pub fn shown(&self, change: &Change) -> String {
        format!("{}{}", self.shown_root, change.path)
    }

    /// One line per difference, `path:line:column: what differs` (or
    /// `path: …` where it has no place in the file), sorted by path.
    pub fn drift(&self) -> Vec<String> {
        self.located()
            .map(|(problem, _)| problem.to_string())
            .collect()
    }

    /// Every difference, located, with its code.
    fn located(&self) -> impl Iterator<Item = (Problem, &'static str)> + '_ {
        self.changes
            .iter()
            .flat_map(move |c| {
                let code = match c.kind {
                    ChangeKind::Create => "missing-file",
                    ChangeKind::Update => "stale-file",
                    ChangeKind::Remove => "orphaned-file",
                };
                // In the file's order; differences without a place (a missing key) last.
                let mut reasons: Vec<&Reason> = c.reasons.iter().collect();
                reasons.sort_by_key(|r| r.at.unwrap_or((usize::MAX, 0)));
                reasons.into_iter().map(move |r| {
                    let problem = Problem {
                        file: self.shown(c),
                        at: r.at,
                        message: r.message.clone(),
                    };
                    (problem, code)
                })
            })
            .chain(self.gone.iter().map(|p| (p.clone(), "gone-service-file")))
            .chain(
                self.unmatched
                    .iter()
                    .map(|p| (p.clone(), "unmatched-entry")),
            )
            .chain(self.strays.iter().map(|p| (p.clone(), "unowned-port")))
            .chain(self.ignored.iter().map(|p| (p.clone(), "ignored-artifact")))
    }

    /// The drift as JSON findings, shaped like [`crate::diag::json`]'s.
    pub fn drift_json(&self, fix: &str) -> Vec<serde_json::Value> {
        self.located()
            .map(|(problem, code)| {
                let help = match code {
                    "gone-service-file" => "delete the file, or restore the service".to_owned(),
                    "unmatched-entry" => {
                        "check the path, or give the entry `create:` so sync writes the files"
                            .to_owned()
                    }
                    "ignored-artifact" => {
                        "un-ignore the file, or leave the artifact out of render.artifacts"
                            .to_owned()
                    }
                    "unowned-port" => "own the value in a sync entry, or remove it".to_owned(),
                    _ => format!("run `{fix}`"),
                };
                serde_json::json!({
                    "file": problem.file,
                    "line": problem.at.map(|a| a.0),
                    "column": problem.at.map(|a| a.1),
                    "severity": "error",
                    "code": code,
                    "message": problem.message,
                    "related": [],
                    "help": help,
                })
            })
            .collect()
    }

    /// The closing line: what is out of date and the command that fixes it.
    pub fn summary(&self, fix: &str) -> String {
        let mut out = match self.changes.len() {
            0 if self.unchanged == 0 => String::new(),
            0 => format!("{} files up to date", self.unchanged),
            1 => format!("1 file out of date; run `{fix}` to update it"),
            n => format!("{n} files out of date; run `{fix}` to update them"),
        };
        // Each kind of finding: how many, in the singular or the plural.
        let kinds = [
            (
                self.gone.len(),
                "1 team file belongs to a service that is gone",
                "team files belong to services that are gone",
            ),
            (
                self.unmatched.len(),
                "1 sync entry matches no file",
                "sync entries match no file",
            ),
            (
                self.ignored.len(),
                "1 generated file is ignored by git",
                "generated files are ignored by git",
            ),
            (
                self.strays.len(),
                "1 port is repeated by hand in a team file",
                "ports are repeated by hand in team files",
            ),
        ];
        for (n, one, many) in kinds {
            if n == 0 {
                continue;
            }
            if !out.is_empty() {
                out.push_str("; ");
            }
            match n {
                1 => out.push_str(one),
                n => out.push_str(&format!("{n} {many}")),
            }
        }
        out
    }

    /// A unified diff of every change.
    pub fn diff(&self) -> String {
        self.diff_of(true)
    }

    /// The dry run's view: every team file's diff in full (those are the
    /// changes to review), and one diffstat line per generated artifact, or
    /// their diffs too when `artifacts` is set.
    pub fn diff_of(&self, artifacts: bool) -> String {
        let mut out = String::new();
        let mut stats = String::new();
        for c in self.changes.iter().filter(|c| c.artifact && !artifacts) {
            let old = c.old.as_deref().unwrap_or("");
            let new = c.new.as_deref().unwrap_or("");
            let diff = similar::TextDiff::from_lines(old, new);
            let (mut added, mut removed) = (0, 0);
            for change in diff.iter_all_changes() {
                match change.tag() {
                    similar::ChangeTag::Insert => added += 1,
                    similar::ChangeTag::Delete => removed += 1,
                    similar::ChangeTag::Equal => {}
                }
            }
            let what = match c.kind {
                ChangeKind::Create => "created",
                ChangeKind::Update => "updated",
                ChangeKind::Remove => "removed",
            };
            stats.push_str(&format!(
                " {} | {what}, +{added} -{removed}\n",
                printable(&self.shown(c))
            ));
        }
        for c in self.changes.iter().filter(|c| !c.artifact || artifacts) {
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
            // A file's bytes could rewrite the terminal's lines under review.
            let text = diff
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
                .to_string();
            let mut escaped = String::with_capacity(text.len());
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                let line_end = c == '\r' && chars.peek() == Some(&'\n');
                match c.is_control() && c != '\n' && c != '\t' && !line_end {
                    true => escaped.extend(c.escape_default()),
                    false => escaped.push(c),
                }
            }
            out.push_str(&escaped);
        }
        if !stats.is_empty() {
            out.push_str("generated artifacts (`--diff-artifacts` shows their diffs):\n");
            out.push_str(&stats);
        }
        out
    }
}

/// What differs in a stale artifact, in one line: its first changed line and
/// how many lines differ in all (a changed line counts once). With `quote`
/// false the lines' text is left out (`stale: line 3 differs`).
pub(super) fn first_difference(old: &str, new: &str, quote: bool) -> Reason {
    use similar::DiffOp;
    if old.replace("\r\n", "\n") == new.replace("\r\n", "\n") {
        let ending = |t: &str| if t.contains("\r\n") { "CRLF" } else { "LF" };
        return Reason::whole(format!(
            "stale: only line endings differ (the file has {}, ports.yaml renders {})",
            ending(old),
            ending(new)
        ));
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
    // The first change in the file's order, and its lines: an insertion
    // before a deletion is where the file first differs.
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let line = |text: &str| match text.trim_end_matches(['\n', '\r']) {
        "" => "an empty line".to_owned(),
        text => format!("`{text}`"),
    };
    let first_op = diff
        .ops()
        .iter()
        .find(|op| !matches!(op, DiffOp::Equal { .. }))
        .copied();
    let (at, first) = match first_op {
        Some(DiffOp::Replace {
            old_index,
            new_index,
            ..
        }) => (
            old_index + 1,
            match quote {
                true => format!(
                    "line {} is {}, ports.yaml says {}",
                    old_index + 1,
                    line(old_lines.get(old_index).unwrap_or(&"")),
                    line(new_lines.get(new_index).unwrap_or(&""))
                ),
                false => format!("line {} differs", old_index + 1),
            },
        ),
        Some(DiffOp::Insert {
            old_index,
            new_index,
            ..
        }) => (
            old_index + 1,
            match quote {
                true => format!(
                    "line {} {} is missing",
                    old_index + 1,
                    line(new_lines.get(new_index).unwrap_or(&""))
                ),
                false => format!("line {} differs", old_index + 1),
            },
        ),
        Some(DiffOp::Delete { old_index, .. }) => (
            old_index + 1,
            match quote {
                true => format!(
                    "line {} {} should not be there",
                    old_index + 1,
                    line(old_lines.get(old_index).unwrap_or(&""))
                ),
                false => format!("line {} differs", old_index + 1),
            },
        ),
        _ => (
            old_lines.len().max(1),
            "the last line's ending differs".to_owned(),
        ),
    };
    Reason::at_line(
        at,
        match count {
            0 | 1 => format!("stale: {first}"),
            n => format!("stale: {first} ({n} lines differ)"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    fn first_difference_text(old: &str, new: &str, quote: bool) -> String {
        first_difference(old, new, quote).message
    }

    /// An insertion before a deletion: the file first differs where the
    /// inserted lines belong, and the quoted lines are that change's.
    #[test]
    fn the_first_change_in_file_order_is_named() {
        let old = "# h\nB=1\nC=2\n";
        let new = "# h\nA=3\nB=1\n";
        let first = first_difference(old, new, true);
        assert_eq!(first.at, Some((2, 1)));
        assert_eq!(
            first.message,
            "stale: line 2 `A=3` is missing (2 lines differ)"
        );
    }

    #[test]
    fn the_difference_is_located_in_the_file() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n", true).at,
            Some((2, 1))
        );
        assert_eq!(first_difference("a\n", "a\nb\n", true).at, Some((2, 1)));
        assert_eq!(first_difference("a\r\n", "a\n", true).at, None);
    }

    #[test]
    fn a_changed_line_counts_once() {
        assert_eq!(
            first_difference_text("a\nb\nc\n", "a\nB\nc\n", true),
            "stale: line 2 is `b`, ports.yaml says `B`"
        );
        assert_eq!(
            first_difference_text("a\nb\nc\n", "A\nb\nC\nd\n", true),
            "stale: line 1 is `a`, ports.yaml says `A` (3 lines differ)"
        );
        assert_eq!(
            first_difference_text("a\n", "a\nb\n", true),
            "stale: line 2 `b` is missing"
        );
    }

    #[test]
    fn template_lines_are_not_quoted() {
        assert_eq!(
            first_difference_text("a\nb\nc\n", "A\nb\nC\nd\n", false),
            "stale: line 1 differs (3 lines differ)"
        );
        assert_eq!(
            first_difference_text("a\n", "a\nb\n", false),
            "stale: line 2 differs"
        );
    }

    #[test]
    fn line_endings_alone_are_named() {
        assert_eq!(
            first_difference_text("a\r\nb\r\n", "a\nb\n", true),
            "stale: only line endings differ (the file has CRLF, ports.yaml renders LF)"
        );
    }
}
