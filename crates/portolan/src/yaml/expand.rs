//! The loader's pass over a [`Tree`]: aliases become copies of what they
//! repeat (reported where the alias is), merge keys (`<<`) add the keys a
//! mapping does not set itself, and entries whose key is no name go. The
//! budgets were counted while reading, so a copy here never exceeds them.

use super::{KEY_DROPPED, MERGE, Node, Span, Tree, Value};
use crate::diag::{Code, Diagnostic};
use std::borrow::Cow;
use std::collections::HashSet;

/// Expands `tree` in place; the first alias past the budget (or inside the
/// value it repeats) is the error.
pub(crate) fn expand(tree: &mut Tree<'_>) -> Result<(), Box<Diagnostic>> {
    if let Some(d) = tree.unexpandable.take() {
        return Err(d);
    }
    if !tree.needs_expansion {
        return Ok(());
    }
    let mut pass = Pass {
        anchors: std::mem::take(&mut tree.anchors)
            .into_iter()
            .map(|a| a.map(|a| a.node))
            .collect(),
        expanded: Vec::new(),
        findings: &mut tree.findings,
        quiet: 0,
    };
    pass.walk(&mut tree.root);
    tree.needs_expansion = false;
    Ok(())
}

struct Pass<'p, 't> {
    /// Anchored values as written, by anchor id.
    anchors: Vec<Option<Node<'t>>>,
    /// Anchored values expanded, made at their first alias.
    expanded: Vec<Option<Node<'t>>>,
    findings: &'p mut Vec<Diagnostic>,
    /// Above zero while expanding a copy of an anchored value, whose
    /// findings were reported where it is written.
    quiet: usize,
}

impl<'t> Pass<'_, 't> {
    fn walk(&mut self, node: &mut Node<'t>) {
        match &mut node.value {
            Value::Alias(id) => {
                let id = *id;
                let flags = node.layout.flags;
                let mut copy = self.copy(id);
                // Findings about the value, and everything in it, point where it is used.
                relocate(&mut copy, node.span);
                copy.layout.flags |= flags & (KEY_DROPPED | MERGE);
                *node = copy;
            }
            Value::Seq(items) => items.iter_mut().for_each(|item| self.walk(item)),
            Value::Map(entries) => {
                if !entries
                    .iter()
                    .any(|(_, v)| v.layout.flags & (KEY_DROPPED | MERGE) != 0)
                {
                    entries.iter_mut().for_each(|(_, v)| self.walk(v));
                    return;
                }
                let mut merges = Vec::new();
                for (key, mut value) in std::mem::take(entries) {
                    let flags = value.layout.flags;
                    self.walk(&mut value);
                    if flags & KEY_DROPPED != 0 {
                        continue;
                    }
                    if flags & MERGE != 0 {
                        merges.push(value);
                    } else {
                        entries.push((key, value));
                    }
                }
                if !merges.is_empty() {
                    let findings = (self.quiet == 0).then_some(&mut *self.findings);
                    merge(entries, merges, findings);
                }
            }
            _ => {}
        }
    }

    /// The anchored value `id`, expanded.
    fn copy(&mut self, id: usize) -> Node<'t> {
        if let Some(Some(done)) = self.expanded.get(id) {
            return done.clone();
        }
        let Some(mut node) = self.anchors.get(id).cloned().flatten() else {
            // Reading counted every alias; one without its value was reported.
            return Node::new(Value::Null(Cow::Borrowed("")), Span::default(), 0);
        };
        self.quiet += 1;
        self.walk(&mut node);
        self.quiet -= 1;
        if self.expanded.len() <= id {
            self.expanded.resize_with(id + 1, || None);
        }
        self.expanded[id] = Some(node.clone());
        node
    }
}

/// Gives `node` and everything in it the span `at`.
fn relocate(node: &mut Node<'_>, at: Span) {
    node.span = at;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|item| relocate(item, at)),
        Value::Map(entries) => {
            for (key, value) in entries {
                key.span = at;
                relocate(value, at);
            }
        }
        _ => {}
    }
}

/// Applies merge keys: `<<: *base` (or a list of mappings) adds the keys the
/// mapping does not set itself; the first merged mapping wins over later ones.
/// Anything else after `<<` is reported and left out.
fn merge<'t>(
    entries: &mut Vec<(super::Key<'t>, Node<'t>)>,
    merges: Vec<Node<'t>>,
    mut findings: Option<&mut Vec<Diagnostic>>,
) {
    let mut present: HashSet<Cow<'t, str>> = entries.iter().map(|(k, _)| k.value.clone()).collect();
    let mut maps = Vec::new();
    let mut refuse = |span: Span, found: &Value<'_>| {
        if let Some(findings) = findings.as_deref_mut() {
            findings.push(not_mergeable(span, found));
        }
    };
    for value in merges {
        match value.value {
            Value::Map(m) => maps.push(m),
            Value::Seq(items) => {
                for item in items {
                    match item.value {
                        Value::Map(m) => maps.push(m),
                        other => refuse(item.span, &other),
                    }
                }
            }
            other => refuse(value.span, &other),
        }
    }
    for (key, value) in maps.into_iter().flatten() {
        if present.insert(key.value.clone()) {
            entries.push((key, value));
        }
    }
}

fn not_mergeable(span: Span, found: &Value<'_>) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidType,
        span,
        format!("`<<` merges mappings, found {}", found.kind()),
    )
    .with_label("expected a mapping or a list of mappings")
}
