//! `render:` and `sync:`: the files Portolan writes and the values it owns.

use super::*;

impl Decoder<'_> {
    /// A path relative to ports.yaml's directory, checked lexically here so that
    /// `cargo build` already refuses one that leaves it.
    pub(super) fn path(&mut self, node: &Node<'_>, what: &str, placeholders: bool) -> Option<Text> {
        let text = self.text(node, what)?;
        if let Err(message) = check_relative_path(&text.value, placeholders) {
            self.push(
                Diagnostic::new(Code::InvalidPath, text.span, format!("{what}: {message}"))
                    .with_label("not a path inside the registry's directory"),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn key_path(&mut self, text: Text, what: &str) -> Option<Text> {
        if let Err(message) = KeyPath::parse(&text.value) {
            self.push(
                Diagnostic::new(
                    Code::InvalidKeyPath,
                    text.span,
                    format!("{what}: {message}"),
                )
                .with_label("expected keys separated by `.`, with `[index]` or `[key=value]`"),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn render(&mut self, node: &Node<'_>) -> Render {
        let owner = node.span;
        let mut render = Render::defaults(owner);
        let Some(table) = self.table(node, "`render`", owner, Some(RENDER_KEYS)) else {
            return render;
        };
        if let Some(dir) = table.get("dir")
            && let Some(dir) = self.path(dir, "`render.dir`", false)
        {
            render.dir = dir;
        }
        if let Some(list) = table.get("artifacts")
            && let Some(items) = self.list(list, "`render.artifacts`")
        {
            render.artifacts.clear();
            for item in items {
                let Some(name) = self.text(item, "artifact") else {
                    continue;
                };
                match Artifact::from_name(&name.value) {
                    Some(a) if !render.artifacts.contains(&a) => render.artifacts.push(a),
                    Some(_) => {}
                    None => {
                        let names = Artifact::ALL.map(Artifact::as_str);
                        let mut d = Diagnostic::new(
                            Code::UnknownKey,
                            name.span,
                            format!("unknown artifact `{}`", name.value),
                        );
                        d = match did_you_mean(&name.value, names) {
                            Some(best) => d.with_help(format!("did you mean `{best}`?")),
                            None => d.with_help(format!("expected one of: {}", names.join(", "))),
                        };
                        self.push(d);
                    }
                }
            }
            render.artifacts.sort();
        }
        if let Some(node) = table.get("scrape") {
            let names: Vec<Name> = match &node.value {
                Value::Seq(items) => items
                    .iter()
                    .filter_map(|i| self.name_value(i, "`render.scrape`"))
                    .collect(),
                _ => self
                    .name_value(node, "`render.scrape`")
                    .into_iter()
                    .collect(),
            };
            render.scrape = Vec::new();
            for name in &names {
                if !render.scrape.contains(&name.value) {
                    render.scrape.push(name.value.clone());
                }
            }
            self.scrape = names;
        }
        if let Some(list) = table.get("templates")
            && let Some(items) = self.list(list, "`render.templates`")
        {
            for item in items {
                let owner = item.span;
                let Some(entry) = self.table(item, "template entry", owner, Some(TEMPLATE_KEYS))
                else {
                    continue;
                };
                let template = self
                    .required(&entry, "template", "templates/nginx.conf.j2")
                    .and_then(|n| self.path(n, "`template`", false));
                let output = self
                    .required(&entry, "output", "generated/nginx.{environment}.conf")
                    .and_then(|n| self.path(n, "`output`", true));
                if let (Some(template), Some(output)) = (template, output) {
                    render.templates.push(Template { template, output });
                }
            }
        }
        render
    }

    pub(super) fn sync(
        &mut self,
        node: &Node<'_>,
        environments: &[Environment],
        services: &[Service],
    ) -> Vec<SyncFile> {
        let Some(items) = self.list(node, "`sync`") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let owner = entry_owner(item);
            let Some(entry) = self.table(item, "sync entry", owner, Some(SYNC_KEYS)) else {
                continue;
            };
            let file = self
                .required(&entry, "file", "config/{environment}.yaml")
                .and_then(|n| self.path(n, "`file`", true));
            let format = self.file_format(entry.get("format"), file.as_ref());
            let create = entry
                .get("create")
                .and_then(|n| self.path(n, "`create`", false));
            let mut values = Vec::new();
            if let Some(node) = entry.get("values") {
                values = self.owned_values_in(node, "`values`", format.unwrap_or(FileFormat::Yaml));
            }
            let mut lists = Vec::new();
            if let Some(node) = entry.get("lists")
                && let Some(format) = format
                && format != FileFormat::Yaml
            {
                self.push(
                    Diagnostic::new(
                        Code::InvalidType,
                        node.span,
                        format!(
                            "owned lists are for YAML files; this file is {}",
                            format.as_str()
                        ),
                    )
                    .with_help("own each value with `values:` instead"),
                );
            } else if let Some(node) = entry.get("lists") {
                let owner = node.span;
                if let Some(table) = self.table(node, "`lists`", owner, None) {
                    for (key, spec) in table.entries.iter().map(|e| (&e.0, &e.1)) {
                        let key = self.key_text(key);
                        let Some(key) = self.key_path(key, "owned list") else {
                            continue;
                        };
                        let Some(spec) = self.table(spec, "owned list", key.span, Some(LIST_KEYS))
                        else {
                            continue;
                        };
                        let comment = spec.get("comment").and_then(|n| self.text(n, "`comment`"));
                        let item_key = spec.get("key").and_then(|n| self.text(n, "`key`"));
                        let item = match self.required(&spec, "item", "{ port: \"{{ port }}\" }") {
                            Some(node) => self.owned_values(node, "`item`"),
                            None => continue,
                        };
                        let list = OwnedList {
                            key,
                            comment,
                            item_key,
                            item,
                        };
                        self.list_owner(&list);
                        lists.push(list);
                    }
                }
            }
            if entry.get("values").is_none() && entry.get("lists").is_none() {
                self.push(
                    Diagnostic::new(Code::MissingKey, owner, "sync entry owns no value")
                        .with_help("add `values: { port: \"{{ port(\'my-service\') }}\" }`"),
                );
            }
            let covered_services = entry
                .get("services")
                .map(|n| self.covered_services(n, services));
            let covered_environments = entry.get("environments").map(|n| {
                self.service_environments(n, environments, "sync entry")
                    .into_iter()
                    .map(|i| environments[i].name.value.clone())
                    .collect::<Vec<_>>()
            });
            for (key, list) in [
                ("services", &covered_services),
                ("environments", &covered_environments),
            ] {
                if let (Some(node), Some([])) = (entry.get(key), list.as_deref())
                    && matches!(&node.value, Value::Seq(items) if items.is_empty())
                {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidType,
                            node.span,
                            format!("`{key}: []` covers nothing, so the entry would sync nothing"),
                        )
                        .with_help(format!("remove `{key}:` to cover them all, or name some")),
                    );
                }
            }
            if let (Some(file), Some(format)) = (file, format) {
                out.push(SyncFile {
                    file,
                    format,
                    create,
                    values,
                    lists,
                    services: covered_services,
                    environments: covered_environments,
                });
            }
        }
        out
    }

    /// `services:` of a sync entry: declared service names.
    fn covered_services(&mut self, node: &Node<'_>, services: &[Service]) -> Vec<String> {
        let Value::Seq(items) = &node.value else {
            self.type_error(
                node,
                "a list of service names",
                "`services` of a sync entry",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.string(item, "service name") else {
                continue;
            };
            if services.iter().any(|s| s.name.value == name) {
                if !out.contains(&name) {
                    out.push(name);
                }
                continue;
            }
            let mut d = Diagnostic::new(
                Code::UnknownKey,
                item.span,
                format!(
                    "sync entry names service `{}`, which is not declared",
                    name.escape_debug()
                ),
            );
            if let Some(best) = did_you_mean(&name, services.iter().map(|s| s.name.value.as_str()))
            {
                d = d.with_help(format!("did you mean `{best}`?"));
            }
            self.push(d);
        }
        out
    }

    /// An owned list must say how its items are told from the team's: a
    /// `key:` among the item's keys, or a comment that starts with fixed text.
    fn list_owner(&mut self, list: &OwnedList) {
        const FIX: &str = "start the comment with fixed text that marks Portolan's items (`comment: \"portolan: {{ service }} {{ name }}\"`), or name an item key whose value identifies them (`key: name`)";
        if let Some(key) = &list.item_key {
            let keys: Vec<&str> = list.item.iter().map(|(k, _)| k.value.as_str()).collect();
            if !keys.contains(&key.value.as_str()) {
                let mut d = Diagnostic::new(
                    Code::UnknownKey,
                    key.span,
                    format!(
                        "`key: {}` is not one of the item's keys",
                        key.value.escape_debug()
                    ),
                );
                d = match did_you_mean(&key.value, keys.iter().copied()) {
                    Some(best) => d.with_help(format!("did you mean `{best}`?")),
                    None => d.with_help(format!("the item has: {}", keys.join(", "))),
                };
                self.push(d);
            }
            return;
        }
        match &list.comment {
            None => self.push(
                Diagnostic::new(
                    Code::MissingKey,
                    list.key.span,
                    format!(
                        "owned list `{}` does not say which items are Portolan's; the team's own items stay",
                        list.key.value
                    ),
                )
                .with_help(FIX),
            ),
            Some(comment) if list.marker().is_none() => self.push(
                Diagnostic::new(
                    Code::InvalidType,
                    comment.span,
                    "the comment starts with a variable, so it cannot mark Portolan's items apart from the team's",
                )
                .with_help(FIX),
            ),
            Some(_) => {}
        }
    }

    /// A sync entry's format: `format:`, else what the file's name says; a
    /// name that says nothing is a finding that lists the formats.
    fn file_format(&mut self, node: Option<&Node<'_>>, file: Option<&Text>) -> Option<FileFormat> {
        let names = FileFormat::ALL.map(FileFormat::as_str).join(", ");
        if let Some(node) = node {
            let text = self.text(node, "`format`")?;
            let found = FileFormat::from_name(&text.value);
            if found.is_none() {
                let mut d = Diagnostic::new(
                    Code::UnknownKey,
                    text.span,
                    format!("unknown file format `{}`", text.value.escape_debug()),
                );
                d = match did_you_mean(&text.value, FileFormat::ALL.map(FileFormat::as_str)) {
                    Some(best) => d.with_help(format!("did you mean `{best}`?")),
                    None => d.with_help(format!("the formats are {names}")),
                };
                self.push(d);
            }
            return found;
        }
        let file = file?;
        let found = FileFormat::from_path(&file.value);
        if found.is_none() {
            self.push(
                Diagnostic::new(
                    Code::MissingKey,
                    file.span,
                    format!("the name `{}` does not say how to edit the file", file.value),
                )
                .with_help(format!(
                    "add `format:` ({names}); a Dockerfile, Makefile or script is `format: text`, with each value keyed by a line pattern holding one `(…)` group, e.g. `'EXPOSE (\\d+)': \"{{{{ port('web') }}}}\"`"
                )),
            );
        }
        found
    }

    /// `key.path: "template"` pairs.
    pub(super) fn owned_values(&mut self, node: &Node<'_>, what: &str) -> Vec<(Text, Text)> {
        self.owned_values_in(node, what, FileFormat::Yaml)
    }

    /// Owned values of a file in `format`: keys are key paths (YAML, JSON,
    /// TOML), variable names (dotenv) or line patterns (text, checked when
    /// the file is synced).
    fn owned_values_in(
        &mut self,
        node: &Node<'_>,
        what: &str,
        format: FileFormat,
    ) -> Vec<(Text, Text)> {
        let owner = node.span;
        let Some(table) = self.table(node, what, owner, None) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().map(|e| (&e.0, &e.1)) {
            let key = self.key_text(key);
            let key = match format {
                FileFormat::Yaml | FileFormat::Json | FileFormat::Toml => {
                    self.key_path(key, "owned key")
                }
                FileFormat::Dotenv => self.variable_name(key),
                _ => Some(key),
            };
            let value = match &value.value {
                Value::Str(_) | Value::Int(..) => self.text(value, "owned value"),
                _ => {
                    self.type_error(value, "a template string or an integer", "an owned value");
                    None
                }
            };
            if let (Some(key), Some(value)) = (key, value) {
                out.push((key, value));
            }
        }
        out
    }

    /// A dotenv variable name: letters, digits and `_`, not starting with a digit.
    fn variable_name(&mut self, key: Text) -> Option<Text> {
        let valid = key
            .value
            .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if valid {
            return Some(key);
        }
        self.push(
            Diagnostic::new(
                Code::InvalidKeyPath,
                key.span,
                format!(
                    "`{}` is not a dotenv variable name",
                    key.value.escape_debug()
                ),
            )
            .with_help(
                "a variable is letters, digits and `_`, not starting with a digit: `API_PORT`",
            ),
        );
        None
    }
}
