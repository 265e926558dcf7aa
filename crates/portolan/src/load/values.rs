//! The values beside and inside a named port: its protocol, bind address
//! and scheme, and the ports one value holds (one port with its container's,
//! or a range).

use super::*;

/// The ports one value of a named port holds: one port (and the container's),
/// or a range.
pub(super) struct Held {
    pub(super) port: Port,
    pub(super) end: Port,
    pub(super) container_port: Port,
    pub(super) span: Span,
}

impl Held {
    /// This port as `environment`'s, read as the `value`th.
    pub(super) fn assignment(&self, environment: usize, value: u32) -> Assignment {
        Assignment {
            environment,
            port: self.port,
            end: self.end,
            container_port: self.container_port,
            span: self.span,
            value,
        }
    }
}

impl Decoder<'_> {
    /// `node` as text when it is a string; else a finding that expected `expected`.
    pub(super) fn string_text(
        &mut self,
        node: &Node<'_>,
        expected: &str,
        what: &str,
    ) -> Option<Text> {
        if !matches!(node.value, Value::Str(_)) {
            self.type_error(node, expected, what);
            return None;
        }
        self.text(node, what)
    }

    /// A transport: `tcp`, `udp` or `both`.
    pub(super) fn protocol(&mut self, node: &Node<'_>, label: &str) -> Option<Protocol> {
        let what = format!("protocol of {label}");
        let text = self.string_text(node, "`tcp`, `udp` or `both`", &what)?;
        if let Some(p) = Protocol::parse(&text.value) {
            return Some(p);
        }
        let lower = text.value.trim().to_ascii_lowercase();
        let help = match Protocol::parse(&lower) {
            Some(p) => format!("write `protocol: {p}`"),
            None if lower == "tcp/udp" || lower == "udp/tcp" || lower == "tcp+udp" => {
                "write `protocol: both`".to_owned()
            }
            None => "write `tcp` (the default), `udp`, or `both` for a port of each on one number"
                .to_owned(),
        };
        self.push(
            Diagnostic::new(
                Code::InvalidType,
                text.span,
                format!("`{}` is not a protocol ({what})", text.value.escape_debug()),
            )
            .with_label("`tcp`, `udp` or `both`")
            .with_help(help),
        );
        None
    }

    /// An IP address a port is published on: `127.0.0.1`, `::1`, `0.0.0.0`.
    pub(super) fn bind(&mut self, node: &Node<'_>, label: &str) -> Option<Bind> {
        let what = format!("bind address of {label}");
        let text = self.string_text(node, "an IP address such as \"127.0.0.1\"", &what)?;
        let written = text.value.trim();
        // `[::1]` and `127.0.0.1:5432` are how addresses appear beside ports elsewhere.
        let bare = written
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(written);
        if let Ok(addr) = bare.parse::<std::net::IpAddr>()
            && bare == text.value
        {
            return Some(Bind {
                addr,
                span: text.span,
            });
        }
        let help = match bare.parse::<std::net::IpAddr>() {
            Ok(addr) => format!("write `bind: \"{addr}\"`"),
            Err(_) => match bare
                .rsplit_once(':')
                .map(|(a, _)| a.parse::<std::net::IpAddr>())
            {
                Some(Ok(addr)) => {
                    format!("write the address alone (`bind: \"{addr}\"`); the port is the port's")
                }
                _ if bare == "localhost" => {
                    "write `bind: \"127.0.0.1\"` (an address, not a host name)".to_owned()
                }
                _ => "write an IPv4 or IPv6 address, such as \"127.0.0.1\" or \"::1\"".to_owned(),
            },
        };
        self.push(
            Diagnostic::new(
                Code::InvalidType,
                text.span,
                format!(
                    "`{}` is not an IP address ({what})",
                    text.value.escape_debug()
                ),
            )
            .with_help(help),
        );
        None
    }

    /// A URL scheme: `http`, `https`, `grpc`, `ws`… (RFC 3986, lowercase).
    pub(super) fn scheme(&mut self, node: &Node<'_>, label: &str) -> Option<Text> {
        let text = self.string_text(
            node,
            "a URL scheme such as `grpc`",
            &format!("scheme of {label}"),
        )?;
        let valid = text.value.len() <= 32
            && text.value.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
        if !valid {
            let written = text.value.escape_debug().to_string();
            let lower = text.value.to_ascii_lowercase();
            let bare = lower.trim_end_matches("://").trim_end_matches(':');
            let fixable = bare.starts_with(|c: char| c.is_ascii_lowercase())
                && bare
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
            let help = if bare != written && fixable {
                format!("write `scheme: {bare}`")
            } else {
                "write a scheme such as `http`, `https`, `grpc` or `ws`".to_owned()
            };
            self.push(
                Diagnostic::new(
                    Code::InvalidType,
                    text.span,
                    format!("scheme `{written}` of {label} is not a URL scheme"),
                )
                .with_label(
                    "a URL scheme is lowercase letters, digits, `+`, `-` and `.`, without `://`",
                )
                .with_help(help),
            );
            return None;
        }
        Some(text)
    }

    /// A port written as `8000` or `{ port: 8000, container_port: 80 }`, or
    /// a range of ports one service holds: `10000-10099` or
    /// `{ range: 10000-10099 }` (the same ports inside the container).
    pub(super) fn port_pair(&mut self, node: &Node<'_>, owner: Span, label: &str) -> Option<Held> {
        match &node.value {
            Value::Map(_) => {
                let table = self.table(node, label.to_owned(), owner, Some(PORT_KEYS))?;
                if let Some(range) = table.get("range") {
                    for other in ["port", "container_port"] {
                        if let Some(n) = table.get(other) {
                            self.push(
                                Diagnostic::new(
                                    Code::InvalidType,
                                    n.span,
                                    format!("{label} gives `range` and `{other}`; a range publishes the same ports inside the container"),
                                )
                                .with_help(format!("remove `{other}`, or write one port with `port:` instead of `range:`")),
                            );
                            return None;
                        }
                    }
                    return self.held_range(range, label);
                }
                let port_node = self.required(&table, "port", "8000")?;
                let port = self.port(port_node, &format!("port {label}"))?;
                let container_port = match table.get("container_port") {
                    Some(n) => self.port(n, &format!("container port {label}"))?,
                    None => port,
                };
                Some(Held {
                    port,
                    end: port,
                    container_port,
                    span: port_node.span,
                })
            }
            Value::Str(s)
                if s.contains('-') && s.trim_start().starts_with(|c: char| c.is_ascii_digit()) =>
            {
                self.held_range(node, label)
            }
            _ => {
                let port = self.port(node, &format!("port {label}"))?;
                Some(Held {
                    port,
                    end: port,
                    container_port: port,
                    span: node.span,
                })
            }
        }
    }

    /// `A-B` as the ports a service holds (`A` alone is one port).
    fn held_range(&mut self, node: &Node<'_>, label: &str) -> Option<Held> {
        let range = self.range_item(node, &format!("range {label}"))?;
        Some(Held {
            port: range.start,
            end: range.end,
            container_port: range.start,
            span: node.span,
        })
    }
}
