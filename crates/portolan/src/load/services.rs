//! `services:`: each service, its named ports in their four forms, and
//! the findings that say which indentation or environment name was meant.

use super::values::Held;
use super::*;

/// What sits beside a named port's environments or port: `scheme:`,
/// `protocol:` and `bind:`.
struct Attributes {
    scheme: Option<Text>,
    protocol: Protocol,
    bind: Option<Bind>,
}

/// `ports:` written at the level of the services, right after a service
/// without ports: that service's ports, under-indented. The service's name.
fn orphan_ports(table: &Table<'_>) -> Option<String> {
    table.entries.windows(2).find_map(|pair| {
        let [(prev, prev_value), (key, _)] = pair else {
            return None;
        };
        let portless = match &prev_value.value {
            Value::Null(_) => true,
            Value::Map(entries) => !entries.iter().any(|(k, _)| k.value == "ports"),
            _ => false,
        };
        (key.value == "ports" && prev.value != "ports" && portless).then(|| prev.value.to_string())
    })
}

/// Which declared environment of `runs_in` the undeclared key `key` means:
/// one spelled alike that no key `written` names and no other key was
/// `paired` with.
fn meant_environment(
    key: &str,
    runs_in: &[usize],
    environments: &[Environment],
    written: &std::collections::HashSet<&str>,
    paired: &[usize],
) -> Option<usize> {
    runs_in.iter().copied().find(|&e| {
        let d = environments[e].name.as_str();
        if written.contains(d) || paired.contains(&e) {
            return false;
        }
        d.eq_ignore_ascii_case(key) || did_you_mean(key, [d]).is_some()
    })
}

/// A named port without a port for the environments `missing` of the
/// service's.
fn no_port_for(missing: &[&str], name: &Name, label: &str, service: &Service) -> Diagnostic {
    let list = missing
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::new(
        Code::MissingEnvironment,
        name.span,
        format!("{label} has no port for {list}"),
    )
    .with_help(format!(
        "add `{}: <port>`, or limit service `{}` with `environments: [...]`",
        missing[0], service.name
    ))
}

impl Decoder<'_> {
    pub(super) fn services(
        &mut self,
        node: &Node<'_>,
        environments: &[Environment],
    ) -> Vec<Service> {
        let owner = node.span;
        let Some(table) = self.table(node, "`services`", owner, None) else {
            return Vec::new();
        };
        self.count_env_keys(&table);
        let orphan_ports = orphan_ports(&table);
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().copied() {
            if let Some(owner) = &orphan_ports {
                if key.value == "ports" {
                    self.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            key.span,
                            format!("`ports:` of service `{owner}` is not indented under it"),
                        )
                        .with_label("read as a service named `ports`")
                        .with_help(format!(
                            "indent `ports:` and the lines under it two more spaces, under `{owner}:`"
                        )),
                    );
                    continue;
                }
                if *owner == key.value {
                    // Its ports are the finding above.
                    continue;
                }
            }
            out.extend(self.service(key, value, environments));
        }
        out
    }

    /// How many named ports write each environment key: [`Decoder::env_keys`].
    fn count_env_keys(&mut self, table: &Table<'_>) {
        self.env_keys.clear();
        for (_, svc) in &table.entries {
            let Value::Map(svc) = &svc.value else {
                continue;
            };
            for (k, ports) in svc {
                let (true, Value::Map(ports)) = (k.value == "ports", &ports.value) else {
                    continue;
                };
                for (_, port) in ports {
                    if let Value::Map(per_env) = &port.value {
                        for (env, _) in per_env {
                            *self.env_keys.entry(env.value.to_string()).or_default() += 1;
                        }
                    }
                }
            }
        }
    }

    /// One service; `None` when it is not a mapping.
    fn service(
        &mut self,
        key: &Spanned<Cow<'_, str>>,
        value: &Node<'_>,
        environments: &[Environment],
    ) -> Option<Service> {
        let name = self.key_name(key, "service");
        let what = format!("service `{}`", key.value);
        let mark = self.diags.len();
        let svc = self.table(value, what.clone(), name.span, Some(SERVICE_KEYS))?;
        if key.value != "ports"
            && svc
                .get("ports")
                .is_none_or(|p| matches!(p.value, Value::Null(_)))
            && self.misplaced_ports(&svc, &key.value, mark)
        {
            // No ports finding beside these: the fix above gives it ports.
            return Some(Service {
                name,
                description: None,
                environments: None,
                ports: Vec::new(),
                processes: Vec::new(),
            });
        }
        let description = svc
            .get("description")
            .and_then(|n| self.string(n, "description"));
        let runs_in = svc
            .get("environments")
            .map(|n| self.service_environments(n, environments, &what));
        let processes = svc
            .get("processes")
            .map(|n| self.processes(n, &what))
            .unwrap_or_default();
        let mut service = Service {
            name,
            description,
            environments: runs_in,
            ports: Vec::new(),
            processes,
        };
        match svc.get("ports") {
            // `ports:` written at the level of the services.
            None if key.value == "ports" => self.push(
                Diagnostic::new(
                    Code::MissingKey,
                    service.name.span,
                    "`ports` is not a service: a service's `ports:` goes inside it, indented under its name".to_owned(),
                )
                .with_label("read as a service named `ports`")
                .with_help("indent `ports:` and its entries under the service they belong to"),
            ),
            // A misspelt `ports:` is an unknown key, whose finding says so.
            None if svc.entries.iter().any(|(k, _)| !SERVICE_KEYS.contains(&k.value.as_ref())) => {}
            None => self.push(no_ports(&service.name, service.name.span)),
            Some(ports) => {
                service.ports = self.named_ports(ports, &service, environments);
                let empty = match &ports.value {
                    Value::Null(_) => true,
                    Value::Map(entries) => entries.is_empty(),
                    _ => false,
                };
                if empty {
                    self.push(no_ports(&service.name, ports.span));
                }
            }
        }
        service
            .ports
            .sort_by(|a, b| a.name.value.cmp(&b.name.value));
        Some(service)
    }

    /// Named ports written beside an empty `ports:` instead of under it: each
    /// is a finding in place of the unknown-key finding since `mark`. Whether
    /// there were any.
    fn misplaced_ports(&mut self, svc: &Table<'_>, service: &str, mark: usize) -> bool {
        let misplaced: Vec<Span> = svc
            .entries
            .iter()
            .filter(|(k, v)| {
                !SERVICE_KEYS.contains(&k.value.as_ref())
                    && matches!(v.value, Value::Int(..) | Value::Map(_))
            })
            .map(|(k, _)| k.span)
            .collect();
        if misplaced.is_empty() {
            return false;
        }
        self.diags.retain_since(mark, |d| {
            !(d.code == Code::UnknownKey && misplaced.contains(&d.primary.span))
        });
        let ports_key = svc.entries.iter().find(|(k, _)| k.value == "ports");
        for (k, _) in svc
            .entries
            .iter()
            .filter(|(k, _)| misplaced.contains(&k.span))
        {
            let help = match ports_key {
                Some(_) => {
                    format!("indent `{}:` two more spaces, under `ports:`", k.value)
                }
                None => format!(
                    "put it under a `ports:` key of the service: `ports: {{ {}: … }}`",
                    k.value
                ),
            };
            self.push(
                Diagnostic::new(
                    Code::UnknownKey,
                    k.span,
                    format!(
                        "`{}` looks like a named port of service `{service}`, but it is not under `ports:`",
                        k.value
                    ),
                )
                .with_label("read as a key of the service")
                .with_help(help),
            );
        }
        true
    }

    /// `processes:` of a service: one name or a list, as `/proc/<pid>/comm` shows them.
    pub(super) fn processes(&mut self, node: &Node<'_>, what: &str) -> Vec<String> {
        let items: Vec<&Node<'_>> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.string(item, "process name") else {
                continue;
            };
            if name.is_empty() || name.chars().any(|c| c.is_control() || c == '/') {
                self.push(
                    Diagnostic::new(
                        Code::InvalidType,
                        item.span,
                        format!(
                            "process name `{}` of {what} is empty or holds `/` or a control character",
                            name.escape_debug()
                        ),
                    )
                    .with_help("write the name `ps -o comm` shows, such as `python3` or `courier`"),
                );
                continue;
            }
            out.push(name);
        }
        out
    }

    pub(super) fn service_environments(
        &mut self,
        node: &Node<'_>,
        environments: &[Environment],
        what: &str,
    ) -> Vec<usize> {
        let Value::Seq(items) = &node.value else {
            self.type_error(
                node,
                "a list of environment names",
                &format!("`environments` of {what}"),
            );
            return (0..environments.len()).collect();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.string(item, "environment name") else {
                continue;
            };
            let span = item.span;
            if let Some(i) = self.environment_ref(&name, span, environments, what)
                && !out.contains(&i)
            {
                out.push(i);
            }
        }
        out.sort_unstable();
        out
    }

    pub(super) fn named_ports(
        &mut self,
        node: &Node<'_>,
        service: &Service,
        environments: &[Environment],
    ) -> Vec<NamedPort> {
        let what = format!("`ports` of service `{}`", service.name);
        let Some(table) = self.table(node, what, service.name.span, None) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().copied() {
            out.extend(self.named_port(key, value, service, environments));
        }
        out
    }

    /// One named port, in any of its four forms; `None` when a finding
    /// leaves it out.
    fn named_port(
        &mut self,
        key: &Spanned<Cow<'_, str>>,
        value: &Node<'_>,
        service: &Service,
        environments: &[Environment],
    ) -> Option<NamedPort> {
        let name = self.key_name(key, "port");
        let label = format!("`{}.{}`", service.name, key.value);
        let runs_in: Vec<usize> = (0..environments.len())
            .filter(|&e| service.runs_in(e))
            .collect();
        let (value, attributes) = self.port_attributes(value, environments, &label)?;
        let mut assignments = match &value.value {
            Value::Map(entries)
                if entries
                    .iter()
                    .any(|(k, _)| k.value == "port" || k.value == "range")
                    && entries
                        .iter()
                        .all(|(k, _)| PORT_KEYS.contains(&k.value.as_ref()))
                    && !environments
                        .iter()
                        .any(|e| PORT_KEYS.contains(&e.name.as_str())) =>
            {
                // `{ port: 8001, container_port: 80 }`: the same in every environment.
                let held = self.port_pair(&value, name.span, &label);
                self.everywhere(held, &runs_in)
            }
            Value::Map(_) | Value::Null(_) => {
                self.per_environment(&value, &name, &label, service, environments, &runs_in)?
            }
            _ => self.one_port(&value, &name, &label, environments, &runs_in),
        };
        assignments.sort_by_key(|a| a.environment);
        if self.mixed_kinds(&assignments, &label, environments) {
            return None;
        }
        Some(NamedPort {
            name,
            assignments,
            scheme: attributes.scheme,
            protocol: attributes.protocol,
            bind: attributes.bind,
        })
    }

    /// `scheme:`, `protocol:` and `bind:` sit beside the environments or the
    /// port (unless an environment has that name): read them, and the value
    /// without them. `None` when the protocol cannot be read.
    fn port_attributes<'a, 'n>(
        &mut self,
        value: &'a Node<'n>,
        environments: &[Environment],
        label: &str,
    ) -> Option<(Cow<'a, Node<'n>>, Attributes)> {
        let mut attributes = Attributes {
            scheme: None,
            protocol: Protocol::Tcp,
            bind: None,
        };
        let attribute = |k: &str| {
            PORT_ATTRIBUTES.contains(&k) && !environments.iter().any(|e| e.name.as_str() == k)
        };
        let entries = match &value.value {
            Value::Map(entries) if entries.iter().any(|(k, _)| attribute(&k.value)) => entries,
            _ => return Some((Cow::Borrowed(value), attributes)),
        };
        let mut rest = Vec::with_capacity(entries.len());
        let mut bad = false;
        for (k, v) in entries {
            match k.value.as_ref() {
                "scheme" if attribute("scheme") => attributes.scheme = self.scheme(v, label),
                "protocol" if attribute("protocol") => match self.protocol(v, label) {
                    Some(p) => attributes.protocol = p,
                    None => bad = true,
                },
                "bind" if attribute("bind") => attributes.bind = self.bind(v, label),
                _ => rest.push((k.clone(), v.clone())),
            }
        }
        // A port of an unreadable protocol would be checked against the
        // wrong ones: left out, the error said.
        if bad {
            return None;
        }
        let without_attributes = Node {
            value: Value::Map(rest),
            ..value.clone()
        };
        Some((Cow::Owned(without_attributes), attributes))
    }

    /// One port (or range), read once, in every environment of `runs_in`.
    fn everywhere(&mut self, held: Option<Held>, runs_in: &[usize]) -> Vec<Assignment> {
        let Some(held) = held else {
            return Vec::new();
        };
        let value = self.next_value();
        runs_in
            .iter()
            .map(|&environment| held.assignment(environment, value))
            .collect()
    }

    /// `8001` or `10000-10099`: the same in every environment of `runs_in`;
    /// a number that is no port is told their ranges.
    fn one_port(
        &mut self,
        value: &Node<'_>,
        name: &Name,
        label: &str,
        environments: &[Environment],
        runs_in: &[usize],
    ) -> Vec<Assignment> {
        let before = self.diags.len();
        let read = self.port_pair(value, name.span, label);
        // A number that is no port: say which numbers would do.
        let ranges: Vec<String> = runs_in
            .iter()
            .map(|&e| &environments[e])
            .filter(|e| !e.range.ranges.is_empty())
            .map(|e| format!("{} {}", e.name, e.range))
            .collect();
        if read.is_none()
            && !ranges.is_empty()
            && let [.., last] = self.diags.since_mut(before)
            && last.code == Code::InvalidPort
            && last.help.is_none()
        {
            last.help = Some(format!(
                "use a port in the range of its environments ({})",
                ranges.join(", ")
            ));
        }
        self.everywhere(read, runs_in)
    }

    /// `{ production: 8001, test: 7001 }`: a port per environment, each key
    /// a declared environment the service runs in, and one for each of
    /// `runs_in`. `None` when it is not a mapping.
    fn per_environment(
        &mut self,
        value: &Node<'_>,
        name: &Name,
        label: &str,
        service: &Service,
        environments: &[Environment],
        runs_in: &[usize],
    ) -> Option<Vec<Assignment>> {
        let per_env = self.table(value, label.to_owned(), name.span, None)?;
        // Declared environments this port gives no port for, and
        // the one an undeclared key is likely meant to be: one
        // finding for the pair, naming both ways to fix it.
        // Sets, so a port of thousands of environments loads in linear time.
        let written: std::collections::HashSet<&str> = per_env
            .entries
            .iter()
            .map(|(k, _)| k.value.as_ref())
            .collect();
        let declared_names: std::collections::HashSet<&str> =
            environments.iter().map(|e| e.name.as_str()).collect();
        let given = |e: &Environment| written.contains(e.name.as_str());
        let mut paired: Vec<usize> = Vec::new();
        let mut assignments = Vec::new();
        for (env_key, port_node) in per_env.entries.iter().copied() {
            let env_span = env_key.span;
            let declared = declared_names.contains(env_key.value.as_ref());
            let meant = (!declared)
                .then(|| {
                    meant_environment(&env_key.value, runs_in, environments, &written, &paired)
                })
                .flatten();
            if let (false, Some(e)) = (declared, meant) {
                paired.push(e);
                let d = self.misnamed_environment(env_key, &environments[e].name, label);
                self.push(d);
                continue;
            }
            let Some(environment) =
                self.environment_ref(&env_key.value, env_span, environments, label)
            else {
                continue;
            };
            if !service.runs_in(environment) {
                self.push(
                    Diagnostic::new(
                        Code::UnknownEnvironment,
                        env_span,
                        format!(
                            "{label} gives a port for `{}`, but service `{}` does not run there",
                            env_key.value, service.name
                        ),
                    )
                    .with_help(
                        "add the environment to the service's `environments`, or remove this port",
                    ),
                );
                continue;
            }
            if let Some(held) =
                self.environment_port(port_node, env_key, label, &environments[environment])
            {
                let value = self.next_value();
                assignments.push(held.assignment(environment, value));
            }
        }
        let missing: Vec<&str> = runs_in
            .iter()
            .filter(|e| !paired.contains(e))
            .filter(|&&e| !given(&environments[e]))
            .map(|&e| environments[e].name.as_str())
            .collect();
        if !missing.is_empty() {
            self.push(no_port_for(&missing, name, label, service));
        }
        Some(assignments)
    }

    /// An environment key `env_key` meant as the declared environment
    /// `declared`: which of the two to rename, by how the other ports write it.
    fn misnamed_environment(
        &self,
        env_key: &Spanned<Cow<'_, str>>,
        declared: &Name,
        label: &str,
    ) -> Diagnostic {
        let d = declared;
        let uses = |n: &str| self.env_keys.get(n).copied().unwrap_or(0);
        let help = if is_valid_name(d.as_str()) && uses(d.as_str()) > 0 {
            // Other ports write the declared name.
            format!("rename this key to `{d}`")
        } else if is_valid_name(d.as_str()) && uses(&env_key.value) < 2 {
            format!(
                "if the declaration is the typo, rename environment `{d}` (line {}) to `{}`; otherwise rename this key to `{d}`",
                d.span.line, env_key.value
            )
        } else if is_valid_name(d.as_str()) {
            // Every port writes the same other name.
            format!(
                "rename the declared environment `{d}` (line {}) to `{}`, the name the ports use",
                d.span.line, env_key.value
            )
        } else {
            format!(
                "rename the declared environment `{d}` (line {}) to `{}`: names are lowercase",
                d.span.line, env_key.value
            )
        };
        Diagnostic::new(
            Code::UnknownEnvironment,
            env_key.span,
            format!(
                "{label} names environment `{}`, but the environment is declared as `{d}`",
                env_key.value.escape_debug()
            ),
        )
        .with_help(help)
    }

    /// The port `port_node` gives in `env`; a number that is no port is told
    /// the environment's range.
    fn environment_port(
        &mut self,
        port_node: &Node<'_>,
        env_key: &Spanned<Cow<'_, str>>,
        label: &str,
        env: &Environment,
    ) -> Option<Held> {
        let before = self.diags.len();
        let pair = self.port_pair(
            port_node,
            env_key.span,
            &format!("{label} in {}", env_key.value),
        );
        // A port that is no number: say which numbers would do.
        if pair.is_none()
            && let [.., last] = self.diags.since_mut(before)
            && last.code == Code::InvalidPort
            && last.help.is_none()
            && !env.range.ranges.is_empty()
        {
            last.help = Some(format!(
                "use a port in the range of {} ({})",
                env.name, env.range
            ));
        }
        pair
    }

    /// Services read a named port as one type: a range everywhere or
    /// nowhere. Whether it is both (a finding).
    fn mixed_kinds(
        &mut self,
        assignments: &[Assignment],
        label: &str,
        environments: &[Environment],
    ) -> bool {
        let range = assignments.iter().find(|a| a.end != a.port);
        let single = assignments.iter().find(|a| a.end == a.port);
        let (Some(r), Some(p)) = (range, single) else {
            return false;
        };
        self.push(
            Diagnostic::new(
                Code::InvalidType,
                p.span,
                format!(
                    "{label} is one port in {} but a range in {}",
                    environments[p.environment].name, environments[r.environment].name
                ),
            )
            .with_secondary(r.span, "a range here")
            .with_help("give it a range in every environment, or one port in each"),
        );
        true
    }
}
