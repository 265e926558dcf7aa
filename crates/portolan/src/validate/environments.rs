//! Rules across environments: ranges that overlap on one host, and one port
//! written for several environments on one host.

use crate::diag::{Code, Diagnostic};
use crate::model::{HostRef, Registry};
use crate::source::Span;
use std::collections::HashMap;

/// Environment ranges on one host must not overlap.
pub(super) fn range_overlaps(registry: &Registry, out: &mut Vec<Diagnostic>) {
    for (i, later) in registry.environments.iter().enumerate() {
        for earlier in &registry.environments[..i] {
            if earlier.host() != later.host() {
                continue;
            }
            let overlap = later.range.ranges.iter().find_map(|a| {
                earlier
                    .range
                    .ranges
                    .iter()
                    .find(|b| a.overlaps(b))
                    .map(|b| (a, b))
            });
            if let Some((a, b)) = overlap {
                out.push(
                    Diagnostic::new(
                        Code::RangeOverlap,
                        later.range.span,
                        format!(
                            "range {a} of environment `{}` overlaps range {b} of environment `{}` on {}",
                            later.name,
                            earlier.name,
                            later.host()
                        ),
                    )
                    .with_label("overlaps")
                    .with_secondary(earlier.range.span, format!("`{}` declares its range", earlier.name))
                    .with_help("give each environment its own range, or put it on another host with `host:`"),
                );
            }
        }
    }
}

/// A bare `api: 8001` with several environments on one host gives them all one port.
pub(super) fn shared_across_environments(registry: &Registry, out: &mut Vec<Diagnostic>) {
    for service in &registry.services {
        for port in &service.ports {
            if port.assignments.len() < 2 {
                continue;
            }
            let mut by_value: HashMap<(u32, HostRef<'_>), (Span, Vec<&str>)> = HashMap::new();
            for a in &port.assignments {
                let env = &registry.environments[a.environment];
                let entry = by_value
                    .entry((a.value, env.host()))
                    .or_insert((a.span, Vec::new()));
                entry.1.push(env.name.as_str());
            }
            let mut shared: Vec<_> = by_value
                .into_iter()
                .filter(|(_, (_, envs))| envs.len() > 1)
                .map(|((_, host), (span, envs))| (span, host, envs))
                .collect();
            shared.sort();
            for (span, host, envs) in shared {
                let example = envs
                    .iter()
                    .map(|e| format!("{e}: …"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(
                    Diagnostic::new(
                        Code::SharedAcrossEnvironments,
                        span,
                        format!(
                            "`{}.{}` gives one port to environments {} on {host}, so it conflicts with itself",
                            service.name,
                            port.name,
                            envs.join(", ")
                        ),
                    )
                    .with_label("one port for every environment")
                    .with_help(format!(
                        "give each environment its own port: `{}: {{ {example} }}`, or put the environments on separate hosts with `host:`",
                        port.name
                    )),
                );
            }
        }
    }
}
