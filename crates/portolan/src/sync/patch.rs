//! The values Portolan owns in a team file, spliced into its text.

use super::*;
use crate::model::{FileFormat, Protocol};

/// The owned scalars of a YAML team file, rendered, and where the file
/// differs from them.
struct OwnedValues {
    values: Vec<(KeyPath, Value)>,
    reasons: Vec<Reason>,
}

/// Every value `entries` own: its key, its template and its entry's scope.
fn owned_templates<'a>(
    entries: &'a [(&'a crate::model::SyncFile, Scope)],
) -> impl Iterator<Item = (&'a Text, &'a Text, &'a Scope)> {
    entries
        .iter()
        .flat_map(|(t, scope)| t.values.iter().map(move |(k, v)| (k, v, scope)))
}

impl Planner<'_> {
    /// The change that brings `path` in line with every entry that owns
    /// values in it (`entries`: each with its scope), or `None` when it is.
    pub(super) fn patch(
        &self,
        engine: &Engine,
        entries: &[(&crate::model::SyncFile, Scope)],
        path: &str,
    ) -> Result<Option<Change>, Problem> {
        let problem = |at: Option<(usize, usize)>, message: String| self.in_file(path, at, message);
        let old = self.read(path).map_err(|m| problem(None, m))?;
        let Some((first, _)) = entries.first() else {
            return Ok(None);
        };
        // The text to edit: the file, or what a missing one is created from.
        let (text, created_from) = match &old {
            Some(text) => (text.clone(), None),
            None => match self.missing(engine, entries, path)? {
                Some(created) => created,
                None => return Ok(None),
            },
        };
        if first.format != FileFormat::Yaml {
            return self.patch_other(engine, entries, path, old, text, created_from);
        }
        let doc = Document::parse(&text).map_err(|e| self.edit_failed(path, e))?;
        let OwnedValues {
            values,
            mut reasons,
        } = self.owned_values(engine, entries, path, &doc, &text, old.is_some())?;
        let mut lists = Vec::new();
        let mut owned_lists_markers: Vec<(KeyPath, Option<String>)> = Vec::new();
        let owned_lists = entries
            .iter()
            .flat_map(|(t, scope)| t.lists.iter().map(move |l| (*t, l, scope)));
        for (target, list, scope) in owned_lists {
            let owned = self.owned_list(engine, path, &doc, target, list, scope)?;
            owned_lists_markers.push((owned.path.clone(), list.marker().map(str::to_owned)));
            lists.push(owned);
        }
        let new = doc
            .apply(&values, &lists)
            .map_err(|e| self.edit_failed(path, e))?;
        let Some(new) = new else {
            return Ok(old.is_none().then(|| Change {
                path: path.to_owned(),
                kind: ChangeKind::Create,
                artifact: false,
                old: None,
                new: Some(text),
                reasons: vec![Reason::whole(missing_reason(created_from.as_deref()))],
            }));
        };
        for list in &lists {
            let kp = &list.path;
            if doc.get(kp).ok() == Some(Current::Missing) {
                reasons.push(Reason::whole(format!("{kp} is missing")));
            } else if let Ok(Some(alone)) = doc.set_list(list) {
                let marker = owned_lists_markers
                    .iter()
                    .find(|(k, _)| k == kp)
                    .and_then(|(_, m)| m.as_deref());
                let (line, place) = where_lists_differ(&text, &alone, marker);
                reasons.push(Reason::at_line(
                    line,
                    format!("{kp} differs from ports.yaml {place}"),
                ));
            }
        }
        if old.is_none() {
            // The file, not a key, is what is missing.
            reasons = vec![Reason::whole(missing_reason(created_from.as_deref()))];
        } else if reasons.is_empty() {
            reasons.push(Reason::whole("owned values differ from ports.yaml"));
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

    /// An editor's failure on the team file `path`, at its line when it has one.
    fn edit_failed(&self, path: &str, e: crate::edit::EditError) -> Problem {
        self.in_file(path, e.line.map(|l| (l, 1)), e.message)
    }

    /// `template` (an owned value, item field or comment) rendered in
    /// `scope` with `extra`; a failure points at the template in ports.yaml.
    fn render_template(
        &self,
        engine: &Engine,
        path: &str,
        template: &Text,
        scope: &Scope,
        extra: &[(&str, serde_json::Value)],
    ) -> Result<String, Problem> {
        engine
            .render_str(&template.value, scope, extra)
            .map_err(|m| self.in_registry(path, template, m))
    }

    /// Every owned scalar of a YAML team file (`doc`, the text `text`),
    /// rendered, with a reason for each that differs from the file.
    fn owned_values(
        &self,
        engine: &Engine,
        entries: &[(&crate::model::SyncFile, Scope)],
        path: &str,
        doc: &Document<'_>,
        text: &str,
        exists: bool,
    ) -> Result<OwnedValues, Problem> {
        let problem = |at: Option<(usize, usize)>, message: String| self.in_file(path, at, message);
        let in_registry = |text: &Text, message: String| self.in_registry(path, text, message);
        let key_path = |t: &Text| KeyPath::parse(&t.value).map_err(|m| in_registry(t, m));
        let mut values = Vec::new();
        let mut reasons = Vec::new();
        for (key, template, scope) in owned_templates(entries) {
            let kp = key_path(key)?;
            let rendered = self.render_template(engine, path, template, scope, &[])?;
            let value = Value::from_rendered(&rendered);
            match doc.get(&kp).map_err(|e| self.edit_failed(path, e))? {
                Current::Scalar(now) if now == value.as_text() => {}
                // The current value is not quoted: `check` prints this in
                // CI, and a sync entry may name a file that holds a secret.
                Current::Scalar(_) => {
                    let at = doc.value_at(&kp).map(|o| crate::edit::line_col(text, o));
                    reasons.push(Reason {
                        at,
                        message: format!("{kp} differs, ports.yaml says {value}"),
                    });
                }
                Current::Missing => {
                    if exists && let Some(near) = near_miss(FileFormat::Yaml, text, &key.value) {
                        return Err(in_registry(key, near));
                    }
                    reasons.push(Reason::whole(format!(
                        "{kp} is missing, ports.yaml says {value}"
                    )))
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
        Ok(OwnedValues { values, reasons })
    }

    /// One owned list of a YAML team file: Portolan's items rendered, told
    /// from the team's by their key or comment; refused when a team item
    /// publishes a port one of them does.
    fn owned_list(
        &self,
        engine: &Engine,
        path: &str,
        doc: &Document<'_>,
        target: &crate::model::SyncFile,
        list: &crate::model::OwnedList,
        scope: &Scope,
    ) -> Result<OwnedItems, Problem> {
        let problem = |at: Option<(usize, usize)>, message: String| self.in_file(path, at, message);
        let in_registry = |text: &Text, message: String| self.in_registry(path, text, message);
        let kp = KeyPath::parse(&list.key.value).map_err(|m| in_registry(&list.key, m))?;
        let items = self.list_items(engine, path, target, list, scope)?;
        let owner = match (&list.item_key, list.marker()) {
            (Some(key), _) => Owner::Key(key.value.clone()),
            (None, Some(_)) => Owner::Comment(comment_pattern(
                &list
                    .comment
                    .as_ref()
                    .map(|c| c.value.clone())
                    .unwrap_or_default(),
            )),
            // load refuses such a list; a registry built by hand still must not lose items.
            (None, None) => {
                return Err(in_registry(
                    &list.key,
                    "does not say which items are Portolan's: give it a `comment:` that starts with fixed text, or `key:`".to_owned(),
                ));
            }
        };
        let owned = OwnedItems {
            path: kp,
            owner,
            items,
        };
        // Two items publishing one port: the tool reading the list fails,
        // or one of the two services is unreachable.
        // The keys whose values are ports: rendered from one.
        let ports: Vec<&str> = list
            .item
            .iter()
            .filter(|(_, t)| t.value.contains("port"))
            .map(|(k, _)| k.value.as_str())
            .collect();
        let clashes = doc
            .clashes(&owned, &ports)
            .map_err(|e| self.edit_failed(path, e))?;
        if let Some(c) = clashes.first() {
            return Err(problem(
                Some((c.line, 1)),
                format!(
                    "an item that is not Portolan's holds `{}: {}`, as Portolan's item {} in `{}` does; change that item's port or remove it, or give the service another port in ports.yaml",
                    printable(&c.key),
                    printable(&c.value),
                    printable(&c.item),
                    owned.path
                ),
            ));
        }
        Ok(owned)
    }

    /// Portolan's items of an owned list: one per service port the entry
    /// covers in the scope (per transport when the list says
    /// `{{ protocol }}`), rendered.
    fn list_items(
        &self,
        engine: &Engine,
        path: &str,
        target: &crate::model::SyncFile,
        list: &crate::model::OwnedList,
        scope: &Scope,
    ) -> Result<Vec<Item>, Problem> {
        let mut items = Vec::new();
        let uses = |var: &str| {
            list.item.iter().any(|(_, t)| t.value.contains(var))
                || list.comment.as_ref().is_some_and(|c| c.value.contains(var))
        };
        let mut rows = engine.list_rows(scope.environment.as_deref(), uses("node_port"));
        // A range is one item only where the item can say its end: else
        // its other ports would be left out without a word.
        if !uses("port_end") {
            rows.retain(|r| r.port_end.is_none());
        }
        // A list that says `{{ protocol }}` gets an item per transport of a
        // `both` port (kind maps TCP and UDP separately).
        let per_transport = uses("protocol");
        // A `{service}` file lists its own service's ports only.
        let covered = rows
            .iter()
            .filter(|r| scope.service.as_ref().is_none_or(|s| *s == r.service))
            .filter(|r| target.covers(Some(&r.service), r.environment.as_deref()));
        let covered = covered.flat_map(|r| {
            let transports: &[Protocol] = match per_transport {
                true => r.protocol.transports(),
                false => std::slice::from_ref(&r.protocol),
            };
            transports.iter().map(move |t| (r, *t))
        });
        for (row, protocol) in covered {
            let extra = [
                ("service", serde_json::json!(row.service)),
                ("name", serde_json::json!(row.name)),
                ("port", serde_json::json!(row.port)),
                (
                    "port_end",
                    serde_json::json!(row.port_end.unwrap_or(row.port)),
                ),
                ("container_port", serde_json::json!(row.container_port)),
                ("url", serde_json::json!(row.url)),
                ("description", serde_json::json!(row.description)),
                ("environment", serde_json::json!(row.environment)),
                ("protocol", serde_json::json!(protocol.as_str())),
                ("bind", serde_json::json!(row.bind.map(|b| b.to_string()))),
            ];
            let mut extra = extra.to_vec();
            // Absent, not null: strict undefined then names the problem.
            if let Some(np) = row.node_port {
                extra.push(("node_port", serde_json::json!(np)));
            }
            let comment = match &list.comment {
                Some(t) => Some(self.render_template(engine, path, t, scope, &extra)?),
                None => None,
            };
            let mut fields = Vec::new();
            for (key, template) in &list.item {
                let rendered = self.render_template(engine, path, template, scope, &extra)?;
                fields.push((key.value.clone(), Value::from_rendered(&rendered)));
            }
            items.push(Item { comment, fields });
        }
        Ok(items)
    }
}

impl Planner<'_> {
    /// [`Planner::patch`] for a JSON, TOML, dotenv or text file: each owned
    /// value read and set by its format's editor. The file must exist: it is
    /// the team's, and Portolan does not invent the rest of it.
    fn patch_other(
        &self,
        engine: &Engine,
        entries: &[(&crate::model::SyncFile, Scope)],
        path: &str,
        old: Option<String>,
        text: String,
        created_from: Option<String>,
    ) -> Result<Option<Change>, Problem> {
        let Some((target, _)) = entries.first() else {
            return Ok(None);
        };
        let at_file = |message: String| self.in_file(path, None, message);
        let in_registry = |text: &Text, message: String| self.in_registry(path, text, message);
        let mut values = Vec::new();
        let mut reasons = Vec::new();
        for (key, template, scope) in owned_templates(entries) {
            let rendered = self.render_template(engine, path, template, scope, &[])?;
            let value = Value::from_rendered(&rendered);
            let located = |e: crate::edit::EditError| match e.line {
                Some(_) => self.edit_failed(path, e),
                // Without a line in the file, the key in ports.yaml is where to look.
                None => in_registry(key, e.message),
            };
            match crate::edit::get_in(target.format, &text, &key.value).map_err(located)? {
                Current::Scalar(now) if now == value.as_text() => {}
                // Not quoted: a team file may hold a secret, and `check` prints this in CI.
                Current::Scalar(_) => reasons.push(Reason {
                    at: crate::edit::value_at(target.format, &text, &key.value),
                    message: format!("{} differs, ports.yaml says {value}", key.value),
                }),
                Current::Missing => {
                    if let Some(near) = near_miss(target.format, &text, &key.value) {
                        return Err(in_registry(key, near));
                    }
                    reasons.push(Reason::whole(format!(
                        "{} is missing, ports.yaml says {value}",
                        key.value
                    )))
                }
                Current::Other => {
                    return Err(at_file(format!(
                        "{} holds a list or mapping; Portolan owns it as a single value",
                        key.value
                    )));
                }
            }
            values.push((key.value.clone(), value));
        }
        let new = crate::edit::apply_in(target.format, &text, &values)
            .map_err(|e| self.edit_failed(path, e))?;
        if old.is_none() {
            return Ok(Some(Change {
                path: path.to_owned(),
                kind: ChangeKind::Create,
                artifact: false,
                old: None,
                new: Some(new.unwrap_or(text)),
                reasons: vec![Reason::whole(missing_reason(created_from.as_deref()))],
            }));
        }
        let Some(new) = new else {
            return Ok(None);
        };
        if reasons.is_empty() {
            reasons.push(Reason::whole("owned values differ from ports.yaml"));
        }
        Ok(Some(Change {
            path: path.to_owned(),
            kind: ChangeKind::Update,
            artifact: false,
            old,
            new: Some(new),
            reasons,
        }))
    }
}

impl Planner<'_> {
    /// A problem with `path` found at `text` in ports.yaml (its key or template).
    fn in_registry(&self, path: &str, text: &Text, message: String) -> Problem {
        Problem {
            file: self.source.name().to_owned(),
            at: Some((text.span.line as usize, text.span.column as usize)),
            message: format!("{path}: {message}"),
        }
    }

    /// A team file that does not exist: created from the entry's `create:`
    /// template (its text, and the template's path), skipped when the entry
    /// is per service (`{service}` covers the services that have the file),
    /// else an error: the file is the team's, and Portolan does not invent it.
    fn missing(
        &self,
        engine: &Engine,
        entries: &[(&crate::model::SyncFile, Scope)],
        path: &str,
    ) -> Result<Option<(String, Option<String>)>, Problem> {
        let in_registry = |text: &Text, message: String| self.in_registry(path, text, message);
        if let Some((target, scope)) = entries.iter().find(|(t, _)| t.create.is_some()) {
            let Some(create) = &target.create else {
                return Ok(None);
            };
            let source = match self.read(&create.value) {
                Ok(Some(text)) => text,
                Ok(None) => {
                    return Err(in_registry(
                        create,
                        format!("`create: {}` does not exist", create.value),
                    ));
                }
                Err(message) => return Err(in_registry(create, message)),
            };
            let text = engine
                .render_file(&create.value, &source, scope)
                .map_err(|m| in_registry(create, format!("{}: {m}", create.value)))?;
            return Ok(Some((text, Some(create.value.clone()))));
        }
        if entries
            .iter()
            .all(|(t, _)| t.file.value.contains("{service}"))
        {
            return Ok(None);
        }
        let (target, _) = &entries[0];
        Err(in_registry(
            &target.file,
            "does not exist; Portolan keeps values in the team's files but does not invent them: create it, correct the path, or add `create: TEMPLATE` to make it from a file of yours".to_owned(),
        ))
    }
}

/// Where an owned list's text first differs: the line in the file, and the
/// item's comment when it is one of Portolan's (its own text; a team comment
/// may hold anything, and `check` prints into CI logs).
fn where_lists_differ(old: &str, new: &str, marker: Option<&str>) -> (usize, String) {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let at = old_lines
        .iter()
        .zip(&new_lines)
        .position(|(a, b)| a != b)
        .unwrap_or(old_lines.len().min(new_lines.len()));
    // The file's own lines up to the difference: a removed item's comment
    // is the first differing line itself.
    let item = old_lines[..(at + 1).min(old_lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('#'))
        .filter(|c| marker.is_some_and(|m| c.trim_start_matches('#').trim_start().starts_with(m)))
        .map(|c| format!(" (the item under `{}`)", printable(c)))
        .unwrap_or_default();
    (at + 1, format!("at line {}{item}", at + 1))
}

fn missing_reason(created_from: Option<&str>) -> String {
    match created_from {
        Some(template) => {
            format!("missing; sync creates it from `{template}` with the values ports.yaml owns")
        }
        None => "missing".to_owned(),
    }
}

/// A missing key that is probably a typo for one the file has (`sever.port`
/// beside `server:`), or a path the file writes as one flat key
/// (`metrics.port: 1`): adding it would leave the real value stale while the
/// file gains a key nobody reads. Says which key and how to go on either way,
/// in every format.
pub(super) fn near_miss(format: FileFormat, text: &str, key: &str) -> Option<String> {
    let (step, missing, keys) = crate::edit::missing_step_in(format, text, key)?;
    let line = |name: &str| {
        keys.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, l)| *l)
            .map(|l| format!(" (line {l})"))
            .unwrap_or_default()
    };
    // `metrics.port` asked for, `metrics.port: 1` written flat (Spring's style).
    if format != FileFormat::Dotenv
        && let Ok(kp) = KeyPath::parse(key)
    {
        let rest: Option<Vec<&str>> = kp.segments[step..]
            .iter()
            .map(|s| match s {
                crate::model::Segment::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        if let Some(rest) = rest.filter(|r| r.len() > 1) {
            let flat = rest.join(".");
            if keys.iter().any(|(k, _)| *k == flat) {
                let mut quoted = kp.segments[..step].to_vec();
                quoted.push(crate::model::Segment::Key(flat.clone()));
                let quoted = KeyPath { segments: quoted };
                return Some(format!(
                    "`{kp}`: the file writes `{flat}` as one flat key{}, not nested; own it as `'{quoted}'` (the key in double quotes)",
                    line(&flat)
                ));
            }
        }
    }
    let best = crate::load::typo_of(&missing, keys.iter().map(|(k, _)| k.as_str()))?;
    Some(format!(
        "`{key}`: the file has no `{missing}`, but has `{best}`{}; fix the key path if `{best}` is meant, or add `{missing}` to the file first if it is a new key",
        line(best)
    ))
}

/// The comments a list's `comment:` template writes, as a regular
/// expression: its fixed text as is, each `{{ … }}` or `{% … %}` one word.
fn comment_pattern(template: &str) -> String {
    let template = template.trim().trim_start_matches('#').trim_start();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = ["{{", "{%", "{#"].iter().filter_map(|o| rest.find(o)).min() {
        out.push_str(&regex_lite::escape(&rest[..open]));
        let close = match &rest[open..open + 2] {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        match rest[open..].find(close) {
            Some(end) => {
                // A comment block writes nothing; a variable or tag, a word.
                if !rest[open..].starts_with("{#") {
                    out.push_str(r"\S+");
                }
                rest = &rest[open + end + 2..];
            }
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(&regex_lite::escape(rest.trim_end()));
    out
}
