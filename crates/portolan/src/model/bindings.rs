//! Every port of the registry resolved to one place: who holds it, on which
//! host, with its container port and NodePort.

use super::{
    Bind, Environment, HostRef, InfraService, NamedPort, Port, PortRange, Protocol, Registry,
    Service,
};
use crate::source::Span;
use std::fmt;

/// Who holds a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A service's named port in one environment.
    Service {
        /// The service.
        service: &'a Service,
        /// The named port.
        port: &'a NamedPort,
        /// The environment.
        environment: &'a Environment,
    },
    /// An infrastructure entry.
    Infrastructure(&'a InfraService),
}

impl Owner<'_> {
    /// The holder without its environment: `` `courier.api` `` or `` infrastructure `redis` ``.
    pub fn short(&self) -> String {
        match self {
            Owner::Service { service, port, .. } => format!("`{}.{}`", service.name, port.name),
            Owner::Infrastructure(infra) => format!("infrastructure `{}`", infra.name),
        }
    }
}

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Service {
                service,
                port,
                environment,
            } => write!(
                f,
                "`{}.{}` in {}",
                service.name, port.name, environment.name
            ),
            Owner::Infrastructure(infra) => write!(f, "infrastructure `{}`", infra.name),
        }
    }
}

/// One resolved port: who holds it, on which host, with its container port and NodePort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binding<'a> {
    /// Who holds the port.
    pub owner: Owner<'a>,
    /// The host port; the first of a range.
    pub port: Port,
    /// The last port of a range; `port` for one port.
    pub end: Port,
    /// The port inside the container.
    pub container_port: Port,
    /// The Kubernetes NodePort, in node-port environments.
    pub node_port: Option<Port>,
    /// Where the port is written.
    pub span: Span,
    /// The host the port is published on.
    pub host: HostRef<'a>,
    /// Identifies the written value ([`Assignment::value`](super::Assignment::value)).
    pub value: u32,
    /// Its transport.
    pub protocol: Protocol,
    /// The address it is published on (the port's, else its environment's);
    /// `None` is every address.
    pub bind: Option<Bind>,
}

impl<'a> Binding<'a> {
    /// The ports it holds: one, or a range.
    pub fn ports(&self) -> PortRange {
        PortRange {
            start: self.port,
            end: self.end,
        }
    }

    /// Whether it holds a range of ports rather than one.
    pub fn is_range(&self) -> bool {
        self.end != self.port
    }

    /// The environment, for service ports.
    pub fn environment(&self) -> Option<&'a Environment> {
        match self.owner {
            Owner::Service { environment, .. } => Some(environment),
            Owner::Infrastructure(_) => None,
        }
    }

    /// The service or infrastructure entry's description.
    pub fn description(&self) -> Option<&'a str> {
        match self.owner {
            Owner::Service { service, .. } => service.description.as_deref(),
            Owner::Infrastructure(infra) => infra.description.as_deref(),
        }
    }
}

impl Registry {
    /// Every port in the registry: service ports by service, named port and
    /// environment, then infrastructure by name.
    pub fn bindings(&self) -> impl Iterator<Item = Binding<'_>> {
        let services = self.services.iter().flat_map(move |service| {
            service.ports.iter().flat_map(move |port| {
                port.assignments.iter().map(move |a| {
                    let environment = &self.environments[a.environment];
                    Binding {
                        owner: Owner::Service {
                            service,
                            port,
                            environment,
                        },
                        port: a.port,
                        end: a.end,
                        container_port: a.container_port,
                        node_port: environment
                            .node_ports
                            .as_ref()
                            .and_then(|np| np.node_port(a.port)),
                        span: a.span,
                        host: environment.host(),
                        value: a.value,
                        protocol: port.protocol,
                        bind: port.bind.or(environment.bind),
                    }
                })
            })
        });
        let infra_host = self.infrastructure.host();
        let infra = self.infrastructure.services.iter().map(move |s| Binding {
            owner: Owner::Infrastructure(s),
            port: s.port,
            end: s.port,
            container_port: s.container_port,
            node_port: s.node_port.map(|(p, _)| p),
            span: s.span,
            host: infra_host,
            value: s.value,
            protocol: s.protocol,
            bind: s.bind,
        });
        services.chain(infra)
    }
}
