//! Courier, the Lumiere event bus, reduced to what every service needs from
//! the `ports` crate: pick the environment from `LUMIERE_ENV`, bind the ports
//! ports.yaml gives it, and reach the other services at the registry's URLs.
//!
//! No port number is written here: they all come from the generated constants
//! (`ports::courier::api(env)`, `ports::courier::health(env)`,
//! `ports::pourtier::api(env)`), so editing ports.yaml and rebuilding moves the
//! service.
//!
//! ```
//! use courier_rs::{Config, Listener, respond};
//! use ports::Environment;
//!
//! let config = Config::new(Environment::Test);
//! assert_eq!(config.health_addr(), ports::test::COURIER_HEALTH.localhost_addr());
//! assert_eq!(config.pourtier_url(), format!("http://pourtier:{}", ports::test::POURTIER_API));
//! let response = respond(Listener::Health, "GET /health HTTP/1.1", &config);
//! assert_eq!(response.status, 200);
//! assert!(response.body.contains(r#""environment":"test""#));
//! ```

use ports::{Environment, Port};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The variable naming the IP address to bind instead of `127.0.0.1`
/// (`0.0.0.0` in a container).
pub const BIND_VAR: &str = "COURIER_BIND";

/// The variable naming Pourtier's host; [`DEFAULT_POURTIER_HOST`] when unset.
pub const POURTIER_HOST_VAR: &str = "POURTIER_HOST";

/// Pourtier's host when [`POURTIER_HOST_VAR`] is unset: its service name in
/// compose and Kubernetes.
pub const DEFAULT_POURTIER_HOST: &str = "pourtier";

/// How long `GET /pourtier` waits for Pourtier to accept a connection.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a connection may take to send its request or read the response.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest request or header line read; longer ones are cut.
const MAX_LINE: u64 = 8 * 1024;

/// The most header lines read from one request.
const MAX_HEADERS: usize = 100;

/// What the service runs with, read from the environment variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The environment whose ports are bound (`LUMIERE_ENV`).
    pub env: Environment,
    /// The address both listeners bind (`COURIER_BIND`).
    pub bind: IpAddr,
    /// Pourtier's host name or address (`POURTIER_HOST`).
    pub pourtier_host: String,
}

impl Config {
    /// The defaults for `env`: bind `127.0.0.1`, Pourtier at `pourtier`.
    pub fn new(env: Environment) -> Config {
        Config {
            env,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            pourtier_host: DEFAULT_POURTIER_HOST.to_owned(),
        }
    }

    /// Reads `LUMIERE_ENV` (development when unset or empty), `COURIER_BIND` and
    /// `POURTIER_HOST`. The error is a message for the operator: an unknown
    /// environment names the valid ones.
    pub fn from_env() -> Result<Config, String> {
        let unset = std::env::var_os(Environment::VAR).is_none_or(|value| value.is_empty());
        let env = if unset {
            Environment::Development
        } else {
            Environment::from_env().map_err(|e| e.to_string())?
        };
        let mut config = Config::new(env);
        if let Some(value) = std::env::var_os(BIND_VAR) {
            let value = value.to_string_lossy();
            config.bind = value.parse().map_err(|_| {
                format!("{BIND_VAR}=`{value}` is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)")
            })?;
        }
        if let Some(value) = std::env::var_os(POURTIER_HOST_VAR) {
            match value.into_string() {
                Ok(host) if !host.trim().is_empty() => {
                    config.pourtier_host = host.trim().to_owned()
                }
                _ => {
                    return Err(format!(
                        "{POURTIER_HOST_VAR} must be a host name or IP address"
                    ));
                }
            }
        }
        Ok(config)
    }

    /// The address the API listener binds.
    pub fn api_addr(&self) -> SocketAddr {
        ports::courier::api(self.env).addr(self.bind)
    }

    /// The address the health listener binds.
    pub fn health_addr(&self) -> SocketAddr {
        ports::courier::health(self.env).addr(self.bind)
    }

    /// Pourtier's API port in this environment.
    pub fn pourtier_port(&self) -> Port {
        ports::pourtier::api(self.env)
    }

    /// Pourtier's URL: `http://{POURTIER_HOST}:{ports::pourtier::api(env)}`.
    pub fn pourtier_url(&self) -> String {
        let host = &self.pourtier_host;
        let port = self.pourtier_port();
        if host.parse::<Ipv6Addr>().is_ok() {
            format!("http://[{host}]:{port}")
        } else {
            format!("http://{host}:{port}")
        }
    }

    /// The line printed to stderr once both listeners are bound.
    pub fn startup_line(&self, api: SocketAddr, health: SocketAddr) -> String {
        format!(
            "courier: environment {}, api on {api}, health on {health}, pourtier at {}",
            self.env,
            self.pourtier_url()
        )
    }
}

/// Which listener a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// The API port: `GET /` and `GET /pourtier`.
    Api,
    /// The health port: `GET /health`.
    Health,
}

/// An HTTP response, written with `Connection: close`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Response {
    fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }

    fn json(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: "application/json",
            body,
        }
    }

    /// The reason phrase of the status code.
    pub fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            503 => "Service Unavailable",
            _ => "",
        }
    }

    /// Writes the status line, the headers and the body.
    pub fn write_to(&self, mut out: impl Write) -> io::Result<()> {
        let allow = if self.status == 405 {
            "Allow: GET\r\n"
        } else {
            ""
        };
        write!(
            out,
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n{}",
            self.status,
            self.reason(),
            self.content_type,
            self.body.len(),
            self.body
        )?;
        out.flush()
    }
}

/// The body of `GET /health`, e.g.
/// `{"service":"courier","environment":"test","api_port":7765,"health_port":7791,"pourtier_url":"http://pourtier:7000"}`.
pub fn health_body(config: &Config) -> String {
    format!(
        r#"{{"service":"courier","environment":"{}","api_port":{},"health_port":{},"pourtier_url":"{}"}}"#,
        config.env,
        ports::courier::api(config.env),
        ports::courier::health(config.env),
        json_escape(&config.pourtier_url())
    )
}

/// Escapes `s` for a JSON string (the host comes from a variable).
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether Pourtier accepts a TCP connection at its registry address within
/// [`PROBE_TIMEOUT`] (per resolved address).
pub fn pourtier_reachable(config: &Config) -> bool {
    let Ok(addrs) = (config.pourtier_host.as_str(), config.pourtier_port().get()).to_socket_addrs()
    else {
        return false;
    };
    addrs
        .into_iter()
        .any(|addr| TcpStream::connect_timeout(&addr, PROBE_TIMEOUT).is_ok())
}

/// The response to `request_line` (`GET /health HTTP/1.1`) on `listener`.
pub fn respond(listener: Listener, request_line: &str, config: &Config) -> Response {
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Response::text(400, "bad request\n");
    };
    if !version.starts_with("HTTP/1.") {
        return Response::text(400, "bad request\n");
    }
    if method != "GET" {
        return Response::text(405, "method not allowed\n");
    }
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    match (listener, path) {
        (Listener::Health, "/health") => Response::json(200, health_body(config)),
        (Listener::Api, "/") => Response::text(
            200,
            format!(
                "courier ({}): GET /pourtier checks {}; health on port {}\n",
                config.env,
                config.pourtier_url(),
                ports::courier::health(config.env)
            ),
        ),
        (Listener::Api, "/pourtier") => {
            if pourtier_reachable(config) {
                Response::text(200, "reachable\n")
            } else {
                Response::text(503, "unreachable\n")
            }
        }
        _ => Response::text(404, "not found\n"),
    }
}

/// Reads one request from `stream`, answers it and closes the connection.
/// A connection closed before sending anything gets no answer.
pub fn handle(stream: TcpStream, listener: Listener, config: &Config) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader
        .by_ref()
        .take(MAX_LINE)
        .read_line(&mut request_line)?
        == 0
    {
        return Ok(());
    }
    // Read the headers too: closing with unread input would reset the
    // connection before the client reads the response.
    let mut header = String::new();
    for _ in 0..MAX_HEADERS {
        header.clear();
        let read = reader.by_ref().take(MAX_LINE).read_line(&mut header)?;
        if read == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    respond(listener, request_line.trim_end(), config).write_to(&stream)
}

/// Both listeners, bound.
#[derive(Debug)]
pub struct Server {
    config: Config,
    api: TcpListener,
    health: TcpListener,
}

impl Server {
    /// Binds the API and health ports of `config.env` on `config.bind`; the
    /// error names the port that could not be bound.
    pub fn bind(config: Config) -> io::Result<Server> {
        let bind = |name: &str, addr: SocketAddr| {
            TcpListener::bind(addr).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot bind the {name} port {addr}: {e}"))
            })
        };
        let api = bind("api", config.api_addr())?;
        let health = bind("health", config.health_addr())?;
        Ok(Server {
            config,
            api,
            health,
        })
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The line to print once bound: the environment and both addresses.
    pub fn startup_line(&self) -> io::Result<String> {
        Ok(self
            .config
            .startup_line(self.api.local_addr()?, self.health.local_addr()?))
    }

    /// Serves both listeners, one thread each, one connection at a time per
    /// listener. Runs until the process is stopped.
    pub fn run(self) {
        let Server {
            config,
            api,
            health,
        } = self;
        std::thread::scope(|scope| {
            scope.spawn(|| accept_loop(&api, Listener::Api, &config));
            scope.spawn(|| accept_loop(&health, Listener::Health, &config));
        });
    }
}

/// Answers every connection of `listener`, logging failures to stderr.
fn accept_loop(listener: &TcpListener, kind: Listener, config: &Config) {
    for stream in listener.incoming() {
        let result = stream.and_then(|stream| handle(stream, kind, config));
        if let Err(e) = result {
            eprintln!("courier: {kind:?} connection: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_config() -> Config {
        Config::new(Environment::Test)
    }

    #[test]
    fn addresses_come_from_the_registry() {
        let config = test_config();
        assert_eq!(config.api_addr(), ports::test::COURIER_API.localhost_addr());
        assert_eq!(
            config.health_addr(),
            ports::test::COURIER_HEALTH.localhost_addr()
        );
        let config = Config {
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ..test_config()
        };
        assert_eq!(
            config.api_addr(),
            ports::test::COURIER_API.unspecified_addr()
        );
    }

    #[test]
    fn pourtier_url_uses_the_host_and_the_registry_port() {
        let port = ports::test::POURTIER_API;
        assert_eq!(
            test_config().pourtier_url(),
            format!("http://pourtier:{port}")
        );
        let config = Config {
            pourtier_host: "::1".to_owned(),
            ..test_config()
        };
        assert_eq!(config.pourtier_url(), format!("http://[::1]:{port}"));
    }

    #[test]
    fn health_body_is_json_with_the_registry_ports() {
        let config = Config {
            pourtier_host: "a\"b".to_owned(),
            ..test_config()
        };
        assert_eq!(
            health_body(&config),
            format!(
                r#"{{"service":"courier","environment":"test","api_port":{},"health_port":{},"pourtier_url":"http://a\"b:{}"}}"#,
                ports::test::COURIER_API,
                ports::test::COURIER_HEALTH,
                ports::test::POURTIER_API
            )
        );
    }

    #[test]
    fn routes() {
        let config = test_config();
        let status = |listener, line| respond(listener, line, &config).status;
        assert_eq!(status(Listener::Health, "GET /health HTTP/1.1"), 200);
        assert_eq!(
            status(Listener::Health, "GET /health?verbose HTTP/1.0"),
            200
        );
        assert_eq!(status(Listener::Health, "GET / HTTP/1.1"), 404);
        assert_eq!(status(Listener::Api, "GET /health HTTP/1.1"), 404);
        assert_eq!(status(Listener::Api, "GET / HTTP/1.1"), 200);
        assert_eq!(status(Listener::Health, "POST /health HTTP/1.1"), 405);
        assert_eq!(status(Listener::Health, "GET /health"), 400);
        assert_eq!(status(Listener::Health, ""), 400);
    }

    #[test]
    fn responses_are_http_1_1() {
        let mut out = Vec::new();
        Response::text(404, "not found\n")
            .write_to(&mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n"
        );
    }
}
