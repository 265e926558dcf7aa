//! `environments:`: ranges, NodePorts, hosts and per-environment artifacts.

use super::*;

impl Decoder<'_> {
    pub(super) fn environments(&mut self, node: &Node<'_>) -> Vec<Environment> {
        let owner = node.span;
        let Some(table) = self.table(node, "`environments`", owner, None) else {
            return Vec::new();
        };
        if table.entries.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::MissingKey,
                    owner,
                    "`environments` declares no environment",
                )
                .with_help("add one, e.g. `local: { range: 8000-8999 }`"),
            );
        }
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().copied() {
            let name = self.key_name(key, "environment");
            let what = format!("environment `{}`", key.value);
            let Some(env) = self.table(value, what.clone(), name.span, Some(ENVIRONMENT_KEYS))
            else {
                continue;
            };
            let range = match self.required(&env, "range", "8000-8999") {
                Some(r) => self.range_set(r, &format!("range of {what}")),
                None => RangeSet {
                    ranges: Vec::new(),
                    span: name.span,
                },
            };
            let node_ports = env
                .get("node_ports")
                .and_then(|n| self.node_ports(n, name.span, &what));
            let host = env.get("host").and_then(|n| self.name_value(n, "host"));
            let artifacts = env
                .get("artifacts")
                .and_then(|n| self.environment_artifacts(n, &what));
            let bind = env.get("bind").and_then(|n| self.bind(n, &what));
            out.push(Environment {
                name,
                range,
                node_ports,
                host,
                artifacts,
                bind,
            });
        }
        out
    }

    /// `environments.<name>.artifacts`: which per-environment artifacts it gets.
    pub(super) fn environment_artifacts(
        &mut self,
        node: &Node<'_>,
        what: &str,
    ) -> Option<Vec<Artifact>> {
        // `artifacts:` with nothing after it means the default, not none.
        if let Value::Null(_) = node.value {
            return None;
        }
        let items = self.list(node, &format!("`artifacts` of {what}"))?;
        let per_environment = [
            Artifact::Env,
            Artifact::Compose,
            Artifact::Kubernetes,
            Artifact::Prometheus,
        ]
        .map(Artifact::as_str);
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.text(item, "artifact") else {
                continue;
            };
            match Artifact::from_name(&name.value) {
                Some(
                    a @ (Artifact::Env
                    | Artifact::Compose
                    | Artifact::Kubernetes
                    | Artifact::Prometheus),
                ) => {
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
                found => {
                    let message = match found {
                        Some(_) => format!(
                            "`{}` is one file for every environment, not rendered per environment",
                            name.value
                        ),
                        None => format!("unknown artifact `{}`", name.value.escape_debug()),
                    };
                    let mut d = Diagnostic::new(Code::UnknownKey, name.span, message);
                    d = match did_you_mean(&name.value, per_environment) {
                        Some(best) if found.is_none() => {
                            d.with_help(format!("did you mean `{best}`?"))
                        }
                        _ => d.with_help(format!(
                            "an environment chooses among {}; `render.artifacts` chooses the rest",
                            per_environment.join(", ")
                        )),
                    };
                    self.push(d);
                }
            }
        }
        out.sort();
        Some(out)
    }

    pub(super) fn node_ports(
        &mut self,
        node: &Node<'_>,
        owner: Span,
        env: &str,
    ) -> Option<NodePorts> {
        let what = format!("`node_ports` of {env}");
        let table = self.table(node, what.clone(), owner, Some(NODE_PORT_KEYS))?;
        let range = self.required(&table, "range", "30000-32767");
        let offset = self.required(&table, "offset", "23000");
        let range = range.map(|r| self.range_set(r, &format!("range of {what}")))?;
        let offset_node = offset?;
        let offset_span = offset_node.span;
        let offset = match &offset_node.value {
            Value::Int(n, _) if (-65535..=65535).contains(n) => *n as i32,
            _ => {
                self.type_error(
                    offset_node,
                    "an integer from -65535 to 65535",
                    &format!("offset of {what}"),
                );
                return None;
            }
        };
        Some(NodePorts {
            range,
            offset,
            offset_span,
        })
    }

    pub(super) fn environment_ref(
        &mut self,
        name: &str,
        span: Span,
        environments: &[Environment],
        context: &str,
    ) -> Option<usize> {
        let found = environments.iter().position(|e| e.name.value == name);
        if found.is_none() {
            let mut d = Diagnostic::new(
                Code::UnknownEnvironment,
                span,
                format!(
                    "{context} names environment `{}`, which is not declared",
                    name.escape_debug()
                ),
            );
            d = match did_you_mean(name, environments.iter().map(|e| e.name.as_str())) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(format!(
                    "declared environments: {}",
                    environments
                        .iter()
                        .map(|e| e.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.push(d);
        }
        found
    }
}
