//! Starts courier-rs in the test environment and talks HTTP to it on the ports
//! of the registry.

use ports::Environment;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long the service may take to start listening or to exit.
const STARTUP: Duration = Duration::from_secs(10);

/// The service binds fixed ports: tests that start it take turns, within
/// this process (the mutex) and across processes, as test runners that start
/// one process per test do (a lock on a file beside the test binary).
static PORTS: Mutex<()> = Mutex::new(());

struct PortsLock {
    _thread: MutexGuard<'static, ()>,
    _process: std::fs::File,
}

fn lock_ports() -> PortsLock {
    let thread = PORTS.lock().unwrap_or_else(PoisonError::into_inner);
    let path = std::env::current_exe()
        .expect("the test binary's path")
        .with_file_name("courier-rs-ports.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    PortsLock {
        _thread: thread,
        _process: file,
    }
}

/// The running binary, killed when dropped, even when an assertion fails.
struct Service {
    child: Child,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// Spawns `command`, keeping its stderr.
    fn spawn(command: &mut Command) -> Service {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("courier-rs starts");
        Service { child }
    }

    /// Spawns courier-rs in the test environment and waits until it listens on
    /// its health port; returns it with its startup line.
    fn start_test() -> (Service, String) {
        let mut service = Service::spawn(&mut courier("test"));
        let health = ports::courier::health(Environment::Test).localhost_addr();
        let deadline = Instant::now() + STARTUP;
        while TcpStream::connect_timeout(&health, Duration::from_millis(200)).is_err() {
            if let Some(status) = service.child.try_wait().unwrap() {
                panic!(
                    "courier-rs exited ({status}) before listening on {health}: {}",
                    service.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "courier-rs did not listen on {health} within {STARTUP:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Printed once both ports are bound: proves the listener is this
        // process and not a leftover one.
        let mut line = String::new();
        BufReader::new(service.child.stderr.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        (service, line)
    }

    /// Waits for the process to exit; its status code and stderr.
    fn wait_exit(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), self.stderr());
            }
            assert!(Instant::now() < deadline, "courier-rs did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What is left on stderr (everything, once the process has exited).
    fn stderr(&mut self) -> String {
        let mut out = String::new();
        if let Some(stderr) = self.child.stderr.as_mut() {
            let _ = stderr.read_to_string(&mut out);
        }
        out
    }
}

/// The courier-rs command with `LUMIERE_ENV=lumiere_env`, Pourtier on
/// loopback and the default bind address.
fn courier(lumiere_env: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_courier-rs"));
    command
        .env(Environment::VAR, lumiere_env)
        .env("POURTIER_HOST", "127.0.0.1")
        .env_remove("COURIER_BIND");
    command
}

/// `GET path` on `addr`: the status code and the body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {response:?}"));
    assert!(head.starts_with("HTTP/1.1 "), "{head}");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

#[test]
fn health_answers_on_the_registry_port() {
    let _ports = lock_ports();
    let (_service, startup) = Service::start_test();
    let health = ports::courier::health(Environment::Test);
    let api = ports::courier::api(Environment::Test);

    // The port it listens on is the one ports.yaml gives courier.health in test.
    assert_eq!(health, ports::test::COURIER_HEALTH);
    assert!(
        startup.contains(&format!("health on {}", health.localhost_addr())),
        "{startup}"
    );
    assert!(startup.contains("environment test"), "{startup}");
    assert!(
        startup.contains(&format!("api on {}", api.localhost_addr())),
        "{startup}"
    );

    let (status, body) = get(health.localhost_addr(), "/health");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""service":"courier""#), "{body}");
    assert!(body.contains(r#""environment":"test""#), "{body}");
    assert!(
        body.contains(&format!(r#""api_port":{}"#, ports::test::COURIER_API)),
        "{body}"
    );
    assert!(
        body.contains(&format!(r#""health_port":{}"#, ports::test::COURIER_HEALTH)),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            r#""pourtier_url":"http://127.0.0.1:{}""#,
            ports::test::POURTIER_API
        )),
        "{body}"
    );

    assert_eq!(get(health.localhost_addr(), "/nope").0, 404);
    let (status, body) = get(api.localhost_addr(), "/");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn pourtier_is_probed_at_the_registry_port() {
    let _ports = lock_ports();
    let (_service, _) = Service::start_test();
    // Stand in for Pourtier where ports.yaml puts it in the test environment.
    let pourtier = TcpListener::bind(ports::test::POURTIER_API.localhost_addr());
    let (status, body) = get(
        ports::courier::api(Environment::Test).localhost_addr(),
        "/pourtier",
    );
    if pourtier.is_ok() {
        assert_eq!((status, body.trim()), (200, "reachable"));
    } else {
        // The port is taken by another process (perhaps a real Pourtier): the
        // answer depends on it, so only its shape is checked.
        assert!(
            matches!(
                (status, body.trim()),
                (200, "reachable") | (503, "unreachable")
            ),
            "{status} {body}"
        );
    }
}

#[test]
fn an_unknown_environment_exits_2_naming_the_valid_ones() {
    let (code, stderr) = Service::spawn(&mut courier("staging")).wait_exit();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("staging"), "{stderr}");
    assert!(stderr.contains(Environment::VAR), "{stderr}");
    for env in Environment::ALL {
        assert!(stderr.contains(env.name()), "{stderr}");
    }
}

#[test]
fn a_bad_bind_address_exits_2() {
    let service = Service::spawn(courier("test").env("COURIER_BIND", "not-an-ip"));
    let (code, stderr) = service.wait_exit();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("COURIER_BIND"), "{stderr}");
}
