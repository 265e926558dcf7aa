//! Rules for each port, over the [`crate::occupancy`] table of who holds
//! which: inside its range, held once, not reserved, a NodePort Kubernetes
//! accepts; and the warnings (ephemeral, privileged).

use crate::diag::{Code, Diagnostic};
use crate::model::{
    Binding, HostRef, KUBERNETES_NODE_PORTS, NodePorts, Owner, Port, PortRange, Protocol, RangeSet,
    Registry, Reserved,
};
use crate::occupancy::{self, Clashes, Occupancy};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// Ports in the Linux ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`).
const EPHEMERAL: (u16, u16) = (32768, 60999);

/// Ports that work but deserve a second look.
fn warnings(b: &Binding<'_>, out: &mut Vec<Diagnostic>) {
    // A range warns for its first port in the ephemeral range.
    let p = b.port.get().max(EPHEMERAL.0.min(b.end.get()));
    if (EPHEMERAL.0..=EPHEMERAL.1).contains(&p) {
        out.push(
            Diagnostic::new(
                Code::EphemeralPort,
                b.span,
                format!(
                    "port {p} of {} is in the Linux ephemeral range {}-{}",
                    b.owner.short(),
                    EPHEMERAL.0,
                    EPHEMERAL.1
                ),
            )
            .with_label("outgoing connections may already hold it")
            .with_help("prefer a port below 32768"),
        );
    }
    if p < 1024 {
        out.push(
            Diagnostic::new(
                Code::PrivilegedPort,
                b.span,
                format!("port {p} of {} is privileged (below 1024)", b.owner.short()),
            )
            .with_label("binding it needs root or CAP_NET_BIND_SERVICE")
            .with_help("publish a port of 1024 or above; the container port may stay low"),
        );
    }
}

/// `8125/udp`, `10000-10099/udp`: a port or range with its transport,
/// where it is not TCP.
fn shown_port(b: &Binding<'_>) -> String {
    let ports = match b.is_range() {
        true => format!("range {}", b.ports()),
        false => b.port.to_string(),
    };
    match b.protocol {
        Protocol::Tcp => ports,
        p => format!("{ports}/{p}"),
    }
}

/// Where a nearest-free-port search starts.
#[derive(PartialEq, Eq, Hash)]
struct Origin<'r> {
    host: HostRef<'r>,
    protocol: Protocol,
    port: i64,
    /// The range searched, by the start of its span.
    range: Option<u32>,
}

/// The rules about who holds which port, over the [`crate::occupancy`] table.
pub(super) struct PortRules<'r> {
    registry: &'r Registry,
    /// Who holds each port.
    table: Occupancy<'r>,
    /// What claiming every port found held twice.
    clashes: Clashes,
    /// Ranges of many pieces, merged, by the span of their declaration: a
    /// range set written as 2,048 pieces is searched, not walked, per port.
    merged: RefCell<HashMap<u32, Vec<(u16, u16)>>>,
    /// The nearest free port per host, origin and range (by its span), once
    /// every port is claimed.
    nearest: RefCell<HashMap<Origin<'r>, Option<Port>>>,
}

impl<'r> PortRules<'r> {
    /// `bindings` in file order: the holder that comes first keeps the port.
    pub(super) fn new(registry: &'r Registry, bindings: Vec<Binding<'r>>) -> Self {
        let (table, clashes) = Occupancy::claim(registry, bindings);
        Self {
            registry,
            table,
            clashes,
            merged: RefCell::new(HashMap::new()),
            nearest: RefCell::new(HashMap::new()),
        }
    }

    /// The first port of `ports` outside `set`, or `None` when `set` holds
    /// them all.
    fn first_outside(&self, set: &RangeSet, ports: PortRange) -> Option<Port> {
        // A few pieces are walked; many are merged once and searched.
        if set.ranges.len() <= 8 {
            let mut at = ports.start;
            loop {
                let Some(piece) = set
                    .ranges
                    .iter()
                    .filter(|r| r.contains(at))
                    .max_by_key(|r| r.end)
                else {
                    return Some(at);
                };
                if piece.end >= ports.end {
                    return None;
                }
                // `piece.end` is below `ports.end`, so the next port exists.
                at = Port::new(piece.end.get() + 1)?;
            }
        } else {
            let mut merged = self.merged.borrow_mut();
            let pieces = merged.entry(set.span.start).or_insert_with(|| {
                let mut all: Vec<(u16, u16)> = set
                    .ranges
                    .iter()
                    .map(|r| (r.start.get(), r.end.get()))
                    .collect();
                all.sort_unstable();
                let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
                for (a, b) in all {
                    match out.last_mut() {
                        Some(last) if u32::from(a) <= u32::from(last.1) + 1 => {
                            last.1 = last.1.max(b)
                        }
                        _ => out.push((a, b)),
                    }
                }
                out
            });
            let (a, b) = (ports.start.get(), ports.end.get());
            let i = pieces.partition_point(|&(_, end)| end < a);
            match pieces.get(i) {
                Some(&(start, end)) if start <= a => {
                    (end < b).then(|| Port::new(end + 1)).flatten()
                }
                _ => Some(ports.start),
            }
        }
    }

    /// Whether `set` holds `port`.
    fn holds(&self, set: &RangeSet, port: Port) -> bool {
        self.first_outside(
            set,
            PortRange {
                start: port,
                end: port,
            },
        )
        .is_none()
    }

    /// Reports every rule about the ports, in order: the range budget, ports
    /// held twice, NodePorts held twice, then each port on its own.
    pub(super) fn check(self, out: &mut Vec<Diagnostic>) {
        self.over_budget(out);
        self.port_conflicts(out);
        self.node_port_conflicts(out);
        self.each_port(out);
    }

    /// Ranges that hold more ports in all than Portolan checks.
    fn over_budget(&self, out: &mut Vec<Diagnostic>) {
        let bindings = &self.table.bindings;
        if let Some(i) = self.clashes.over_budget {
            out.push(
                Diagnostic::new(
                    Code::InvalidRange,
                    bindings[i].span,
                    format!(
                        "ranges hold more than {} ports in all (each environment and transport counted); Portolan checks no more",
                        occupancy::RANGE_PORTS
                    ),
                )
                .with_help("hold fewer or smaller ranges"),
            );
        }
    }

    /// A port (or range) an earlier holder has on the same host and transport.
    fn port_conflicts(&self, out: &mut Vec<Diagnostic>) {
        let bindings = &self.table.bindings;
        for &(i, first) in &self.clashes.ports {
            let (b, holder) = (&bindings[i], &bindings[first]);
            let what = if b.is_range() || holder.is_range() {
                "overlaps"
            } else {
                "is already used by"
            };
            let port = if b.is_range() { "" } else { "port " };
            let mut d = Diagnostic::new(
                Code::PortConflict,
                b.span,
                format!(
                    "{port}{} of {} {what} {}",
                    shown_port(b),
                    b.owner,
                    holder.owner
                ),
            )
            .with_label(format!("{} is taken", shown_port(b)))
            .with_secondary(holder.span, format!("{} holds it", holder.owner));
            if !b.is_range()
                && let Some(help) = self.suggestion(b)
            {
                d = d.with_help(help);
            }
            out.push(d);
        }
    }

    /// A NodePort an earlier holder has.
    fn node_port_conflicts(&self, out: &mut Vec<Diagnostic>) {
        let bindings = &self.table.bindings;
        for &(i, first) in &self.clashes.node_ports {
            let (b, holder) = (&bindings[i], &bindings[first]);
            let np = b
                .node_port
                .expect("only bindings with NodePorts conflict on them");
            // A written NodePort is where the finding points; a derived one, its port.
            let at = |b: &Binding<'_>| match b.owner {
                Owner::Infrastructure(s) => s.node_port.map_or(b.span, |(_, span)| span),
                Owner::Service { .. } => b.span,
            };
            out.push(
                Diagnostic::new(
                    Code::NodePortConflict,
                    at(b),
                    format!(
                        "NodePort {np} of {} is already used by {}",
                        b.owner, holder.owner
                    ),
                )
                .with_label(format!("gives NodePort {np}"))
                .with_secondary(at(holder), format!("{} holds it", holder.owner)),
            );
        }
    }

    /// The rules of [`Self::per_binding`] for every port, and the warnings
    /// once per written value.
    fn each_port(&self, out: &mut Vec<Diagnostic>) {
        let bindings = &self.table.bindings;
        // `load` numbers values from 1 as it reads them, so a flag per value
        // does; a hand-built registry with sparse numbers gets a set.
        let last = bindings.iter().map(|b| b.value as usize).max();
        let dense = last.filter(|&n| n <= 4 * bindings.len() + 64);
        let mut flags = vec![false; dense.map_or(0, |n| n + 1)];
        let mut sparse = HashSet::new();
        for b in bindings {
            self.per_binding(b, out);
            // A bare port shared by environments is one value: warn about it once.
            let first = match dense {
                Some(_) => !std::mem::replace(&mut flags[b.value as usize], true),
                None => sparse.insert(b.value),
            };
            if first {
                warnings(b, out);
            }
        }
    }

    /// The rules of [`Self::per_binding`] for a range of ports one service
    /// holds: every port in its environment's range and none reserved; no
    /// NodePorts (a Kubernetes Service has no port ranges).
    fn per_range(&self, b: &Binding<'r>, out: &mut Vec<Diagnostic>) {
        let ports = b.ports();
        if let Some(range) = self.range_of(b)
            && !range.ranges.is_empty()
            && let Some(outside) = self.first_outside(range, ports)
        {
            let range_name = Self::range_name(b);
            out.push(
                Diagnostic::new(
                    Code::OutsideRange,
                    b.span,
                    format!(
                        "range {ports} of {} is not inside {range_name} {range}: {outside} is outside",
                        b.owner
                    ),
                )
                .with_label(format!("not in {range}"))
                .with_secondary(range.span, "the range is declared here"),
            );
        }
        if let Some((port, r)) = self.table.first_reserved(ports) {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    b.span,
                    format!(
                        "range {ports} of {} includes {port}, which is reserved: {}",
                        b.owner, r.reason
                    ),
                )
                .with_label("includes a reserved port")
                .with_secondary(r.span, "reserved here")
                .with_help("move the range clear of the reserved ports (`portolan assign --count` finds a free block)"),
            );
        }
        if let Some(env) = b.environment()
            && env.node_ports.is_some()
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "range {ports} of {}: {} has NodePorts, and a Kubernetes Service has no port ranges",
                        b.owner, env.name
                    ),
                )
                .with_help("give the range to an environment without `node_ports`, or list its ports one by one"),
            );
        }
    }

    fn reserved_at(&self, port: Port) -> Option<&'r Reserved> {
        self.table.reserved_at(port)
    }

    /// Range, reserved, NodePort and warning rules for one port.
    fn per_binding(&self, b: &Binding<'r>, out: &mut Vec<Diagnostic>) {
        if b.is_range() {
            return self.per_range(b, out);
        }
        if let Some(range) = self.range_of(b)
            && !range.ranges.is_empty()
            && !self.holds(range, b.port)
        {
            let range_name = Self::range_name(b);
            let mut d = Diagnostic::new(
                Code::OutsideRange,
                b.span,
                format!(
                    "port {} of {} is outside {range_name} {range}",
                    b.port, b.owner
                ),
            )
            .with_label(format!("not in {range}"))
            .with_secondary(range.span, "the range is declared here");
            if let Some(help) = self.suggestion(b) {
                d = d.with_help(help);
            }
            out.push(d);
        }
        if let Some(r) = self.reserved_at(b.port) {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    b.span,
                    format!("port {} of {} is reserved: {}", b.port, b.owner, r.reason),
                )
                .with_label("reserved")
                .with_secondary(r.span, "reserved here"),
            );
        }
        if let Some(env) = b.environment()
            && let Some(np) = &env.node_ports
        {
            self.node_port(b, np, out);
        }
        // A written infrastructure NodePort is held to the reserved ports too.
        if let Owner::Infrastructure(entry) = b.owner
            && let Some((np, span)) = entry.node_port
            && let Some(r) = self.reserved_at(np)
        {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    span,
                    format!("NodePort {np} of {} is reserved: {}", b.owner, r.reason),
                )
                .with_label("reserved")
                .with_secondary(r.span, "reserved here"),
            );
        }
        // An infrastructure NodePort is written, not derived: Kubernetes' range.
        if let Owner::Infrastructure(entry) = b.owner
            && let Some((np, span)) = entry.node_port
            && !KUBERNETES_NODE_PORTS.contains(np)
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    span,
                    format!(
                        "NodePort {np} of {} is outside Kubernetes' NodePort range {KUBERNETES_NODE_PORTS}",
                        b.owner
                    ),
                )
                .with_label(format!("not in {KUBERNETES_NODE_PORTS}"))
                .with_help("choose a NodePort in 30000-32767 (the cluster's --service-node-port-range, if changed)"),
            );
        }
    }

    fn node_port(&self, b: &Binding<'r>, np: &NodePorts, out: &mut Vec<Diagnostic>) {
        let Some(node_port) = b.node_port else {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "NodePort of {} would be {} + {} = {}, not a port number",
                        b.owner,
                        b.port,
                        np.offset,
                        i64::from(b.port.get()) + i64::from(np.offset)
                    ),
                )
                .with_secondary(np.offset_span, "the offset is declared here"),
            );
            return;
        };
        if !KUBERNETES_NODE_PORTS.contains(node_port) {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "NodePort {node_port} of {} is outside Kubernetes' NodePort range {KUBERNETES_NODE_PORTS}",
                        b.owner
                    ),
                )
                .with_label(format!("{} + {} = {node_port}", b.port, np.offset))
                .with_secondary(np.offset_span, "the offset is declared here"),
            );
        } else if !np.range.ranges.is_empty() && !np.range.contains(node_port) {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "NodePort {node_port} of {} is outside the NodePort range {}",
                        b.owner, np.range
                    ),
                )
                .with_label(format!("{} + {} = {node_port}", b.port, np.offset))
                .with_secondary(np.range.span, "the NodePort range is declared here"),
            );
        }
        if let Some(r) = self.reserved_at(node_port) {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    b.span,
                    format!(
                        "NodePort {node_port} of {} is reserved: {}",
                        b.owner, r.reason
                    ),
                )
                .with_label(format!("gives NodePort {node_port}"))
                .with_secondary(r.span, "reserved here"),
            );
        }
    }

    /// The range a port must lie in.
    fn range_of(&self, b: &Binding<'r>) -> Option<&'r RangeSet> {
        match b.owner {
            Owner::Service { environment, .. } => Some(&environment.range),
            Owner::Infrastructure(_) => self.registry.infrastructure.range.as_ref(),
        }
    }

    /// How to name the range of [`PortRules::range_of`] in a message.
    fn range_name(b: &Binding<'r>) -> String {
        match b.owner {
            Owner::Service { environment, .. } => format!("the range of {}", environment.name),
            Owner::Infrastructure(_) => "the infrastructure range".to_owned(),
        }
    }

    /// "nearest free port in …" for a port that is taken or out of range.
    fn suggestion(&self, b: &Binding<'r>) -> Option<String> {
        let range = self.range_of(b).filter(|r| !r.ranges.is_empty());
        let range_name = Self::range_name(b);
        let free = |p: i64| -> Option<Port> {
            let port = Port::from_i128(i128::from(p))?;
            let in_range = range.is_none_or(|r| self.holds(r, port));
            let unused = self.table.free(b.host, b.protocol, port);
            (in_range && unused && self.reserved_at(port).is_none()).then_some(port)
        };
        // Search outward from the port itself, or, when it is outside its
        // range, from the range's nearest end (12000 against 8000-8499: 8499).
        let port = i64::from(b.port.get());
        let origin = match range {
            Some(r) if !self.holds(r, b.port) => r
                .ranges
                .iter()
                .map(|x| port.clamp(i64::from(x.start.get()), i64::from(x.end.get())))
                .min_by_key(|&p| (p - port).abs())?,
            _ => port,
        };
        // Within a range, no farther than its ends: a full range answers in
        // its own size. The answer depends only on the host, the origin and
        // the range, so thousands of findings on one full range search once.
        let reach = range.map_or(65535, |r| {
            let lo = r
                .ranges
                .iter()
                .map(|x| i64::from(x.start.get()))
                .min()
                .unwrap_or(0);
            let hi = r
                .ranges
                .iter()
                .map(|x| i64::from(x.end.get()))
                .max()
                .unwrap_or(65535);
            (origin - lo).max(hi - origin).max(0)
        });
        let key = Origin {
            host: b.host,
            protocol: b.protocol,
            port: origin,
            range: range.map(|r| r.span.start),
        };
        let cached = self.nearest.borrow().get(&key).copied();
        let found = match cached {
            Some(found) => found,
            None => {
                let found = (0..=reach).find_map(|d| free(origin - d).or_else(|| free(origin + d)));
                self.nearest.borrow_mut().insert(key, found);
                found
            }
        }?;
        Some(match range {
            Some(r) => format!("the nearest free port in {range_name} ({r}) is {found}"),
            None => format!("the nearest free port is {found}"),
        })
    }
}
