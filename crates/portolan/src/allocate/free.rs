//! Which ports are free: the registry's occupancy table without the entry
//! being moved, searched for the lowest offset free in every environment.

use super::*;

/// Who holds each port (the registry's [`crate::occupancy`] table, without
/// the entry being moved), and what this assignment has given so far.
pub(super) struct Taken<'r> {
    /// The transport of the port being assigned: only holders sharing it collide.
    protocol: Protocol,
    /// How many contiguous ports the assignment takes from the one it is given.
    pub(super) count: u16,
    occupancy: crate::occupancy::Occupancy<'r>,
    /// Ports (and NodePorts) this assignment already gave an environment:
    /// (host, port, environment index).
    given: Vec<(HostRef<'r>, u16, usize)>,
    given_node_ports: Vec<(HostRef<'r>, u16, usize)>,
}

impl<'r> Taken<'r> {
    /// Every port of `registry` except those of `skip` (the entry being moved).
    pub(super) fn new(
        registry: &'r Registry,
        skip: Option<(&str, &str)>,
        protocol: Protocol,
    ) -> Self {
        let bindings = registry
            .bindings()
            .filter(|b| match (b.owner, skip) {
                (Owner::Service { service, port, .. }, Some((s, n))) => {
                    service.name.as_str() != s || port.name.as_str() != n
                }
                _ => true,
            })
            .collect();
        // Clashes are validation's to report; the registry was validated.
        let (occupancy, _) = crate::occupancy::Occupancy::claim(registry, bindings);
        Taken {
            protocol,
            count: 1,
            occupancy,
            given: Vec::new(),
            given_node_ports: Vec::new(),
        }
    }

    pub(super) fn reserved_reason(&self, port: Port) -> Option<String> {
        self.occupancy
            .reserved_at(port)
            .map(|r| format!("reserved ({})", r.reason))
    }

    /// Why `port` (with the block of `count` ports from it) cannot go to
    /// environment `env`, or `None` when it can.
    pub(super) fn why_not(&self, registry: &Registry, env: usize, port: Port) -> Option<String> {
        if self.count <= 1 {
            return self.why_not_one(registry, env, port);
        }
        if registry.environments[env].node_ports.is_some() {
            return Some(format!(
                "{} has NodePorts, and a Kubernetes Service has no port ranges",
                registry.environments[env].name
            ));
        }
        (0..self.count).find_map(|k| {
            let Some(p) = port.get().checked_add(k).and_then(Port::new) else {
                return Some(format!(
                    "a block of {} ports from {port} passes 65535",
                    self.count
                ));
            };
            self.why_not_one(registry, env, p).map(|why| match k {
                0 => why,
                _ => format!("port {p} of the block is {why}"),
            })
        })
    }

    pub(super) fn why_not_one(
        &self,
        registry: &Registry,
        env: usize,
        port: Port,
    ) -> Option<String> {
        let e = &registry.environments[env];
        if !e.range.contains(port) {
            return Some(format!("outside {}'s range {}", e.name, e.range));
        }
        let host = e.host();
        for &transport in self.protocol.transports() {
            if let Some(holder) = self
                .occupancy
                .holder(host, transport, port)
                .map(|b| b.owner)
            {
                return Some(match self.protocol {
                    Protocol::Tcp => format!("held by {holder}"),
                    _ => format!("held by {holder} ({transport})"),
                });
            }
        }
        if let Some((_, _, other)) = self
            .given
            .iter()
            .find(|(h, p, _)| *h == host && *p == port.get())
        {
            return Some(format!(
                "given to {} by this assignment, on the same host",
                registry.environments[*other].name
            ));
        }
        if let Some(reason) = self.reserved_reason(port) {
            return Some(reason);
        }
        if let Some(np) = &e.node_ports {
            let Some(node_port) = np.node_port(port) else {
                return Some("its NodePort would not be a port".to_owned());
            };
            if !np.range.contains(node_port) || !KUBERNETES_NODE_PORTS.contains(node_port) {
                return Some(format!(
                    "its NodePort {node_port} lies outside {} or {KUBERNETES_NODE_PORTS}",
                    np.range
                ));
            }
            if let Some(holder) = self.occupancy.node_holder(host, node_port).map(|b| b.owner) {
                return Some(format!("its NodePort {node_port} is held by {holder}"));
            }
            if let Some((_, _, other)) = self
                .given_node_ports
                .iter()
                .find(|(h, p, _)| *h == host && *p == node_port.get())
            {
                return Some(format!(
                    "its NodePort {node_port} is given to {} by this assignment",
                    registry.environments[*other].name
                ));
            }
            if let Some(reason) = self.reserved_reason(node_port) {
                return Some(format!("its NodePort {node_port} is {reason}"));
            }
        }
        None
    }

    /// Records that this assignment gives `port` to environment `env`.
    pub(super) fn give(&mut self, registry: &'r Registry, env: usize, port: Port) {
        let e = &registry.environments[env];
        for k in 0..self.count.max(1) {
            self.given
                .push((e.host(), port.get().saturating_add(k), env));
        }
        if let Some(np) = e.node_ports.as_ref().and_then(|np| np.node_port(port)) {
            self.given_node_ports.push((e.host(), np.get(), env));
        }
    }
}

/// The environments (indices) an entry of `service` gets a port in.
pub(super) fn environments_of(registry: &Registry, service: &str) -> Vec<usize> {
    match registry.service(service) {
        Some(s) => (0..registry.environments.len())
            .filter(|&i| s.runs_in(i))
            .collect(),
        None => (0..registry.environments.len()).collect(),
    }
}

/// The lowest offset from each range start that is free in every one of `envs`.
pub(super) fn lowest_common(
    registry: &Registry,
    taken: &Taken<'_>,
    envs: &[usize],
) -> Option<Vec<Port>> {
    let starts: Vec<u16> = envs
        .iter()
        .map(|&i| registry.environments[i].range.first().map_or(1, Port::get))
        .collect();
    let span = envs
        .iter()
        .zip(&starts)
        .map(|(&i, &s)| {
            let last = registry.environments[i]
                .range
                .ranges
                .iter()
                .map(|r| r.end.get())
                .max()
                .unwrap_or(s);
            last.saturating_sub(s)
        })
        .max()?;
    'offsets: for offset in 0..=u32::from(span) {
        let mut ports = Vec::with_capacity(envs.len());
        for (&env, &start) in envs.iter().zip(&starts) {
            let Some(port) = u16::try_from(u32::from(start) + offset)
                .ok()
                .and_then(|p| Port::from_i128(i128::from(p)))
            else {
                continue 'offsets;
            };
            if taken.why_not(registry, env, port).is_some() {
                continue 'offsets;
            }
            ports.push(port);
        }
        return Some(ports);
    }
    None
}

pub(super) fn placed(
    registry: &Registry,
    envs: &[usize],
    ports: &[Port],
    count: u16,
) -> Vec<Placed> {
    envs.iter()
        .zip(ports)
        .map(|(&i, &p)| {
            let e = &registry.environments[i];
            Placed {
                environment: e.name.value.clone(),
                port: p.get(),
                end: (count > 1).then(|| p.get() + (count - 1)),
                node_port: e
                    .node_ports
                    .as_ref()
                    .and_then(|np| np.node_port(p))
                    .map(Port::get),
            }
        })
        .collect()
}
