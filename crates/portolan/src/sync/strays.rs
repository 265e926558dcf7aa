//! Ports a team file repeats by hand: a value under a port-like key that no
//! entry owns, equal to a port the registry gives a service. It goes stale
//! at the next port move, so `check` names it with the entry that would own it.

use super::*;
use crate::edit::{Unowned, unowned_ports};
use crate::render::Holder;

impl Planner<'_> {
    /// One line per port `text` repeats outside what `entries` own in it.
    pub(super) fn strays(
        &self,
        holders: &HashMap<u16, Vec<Holder>>,
        entries: &[(&SyncFile, Scope)],
        path: &str,
        text: &str,
    ) -> Vec<Problem> {
        let Some((first, _)) = entries.first() else {
            return Vec::new();
        };
        let owned: Vec<&str> = entries
            .iter()
            .flat_map(|(t, _)| t.values.iter().map(|(k, _)| k.value.as_str()))
            .collect();
        let lists: Vec<&str> = entries
            .iter()
            .flat_map(|(t, _)| t.lists.iter().map(|l| l.key.value.as_str()))
            .collect();
        // A file for some environments repeats their ports: another
        // environment's port there is a coincidence, not a copy.
        let environments: Option<Vec<&str>> = entries
            .iter()
            .map(|(_, scope)| scope.environment.as_deref())
            .collect();
        unowned_ports(first.format, text, &owned, &lists)
            .into_iter()
            .filter_map(|found| {
                let Unowned {
                    key,
                    port,
                    offset,
                    whole,
                } = found;
                let Holder { who, call, .. } = holders.get(&port)?.iter().find(|h| {
                    match (&environments, h.environment.as_deref()) {
                        (Some(envs), Some(env)) => envs.contains(&env),
                        _ => true,
                    }
                })?;
                let key = printable(&key);
                let message = match whole {
                    true => format!(
                        "`{key}: {port}` is {who}, repeated by hand: own it (`{key}: \"{{{{ {call} }}}}\"` in the entry's `values:`), or remove it"
                    ),
                    // `"8001:8000"`: the key holds more than the port.
                    false => format!(
                        "`{key}` repeats {port}, {who}, by hand inside a longer value: own it with a line pattern (an entry with `format: text`), or remove it"
                    ),
                };
                Some(Problem {
                    file: self.shown(path),
                    at: Some(crate::edit::line_col(text, offset)),
                    message,
                })
            })
            .collect()
    }
}
