//! Starts courier-rs in the test environment and talks HTTP to it on the ports
//! of the registry.

use ports::Environment;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

/// How long the service may take to start listening or to exit.
const STARTUP: Duration = Duration::from_secs(10);

/// The service binds fixed ports: tests that start it take turns, within
/// this process (the mutex) and across processes, as test runners that start
/// one process per test do (a lock on a file beside the test binary). On
/// Linux each also has its own address ([`loopback`]), which keeps it clear
/// of other checkouts' test runs and of services on 127.0.0.1.
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

    /// Spawns courier-rs in the test environment, binding `ip` and reaching
    /// Pourtier at `ip`, and waits until both its ports are bound; returns it
    /// with its startup line. Fails, naming the ports, if it cannot bind them.
    fn start_test(ip: IpAddr) -> (Service, String) {
        let mut service = Service::spawn(
            courier("test")
                .env("COURIER_BIND", ip.to_string())
                .env("POURTIER_HOST", ip.to_string()),
        );
        // The first line is the startup line once both ports are bound, or
        // why they could not be; waiting for it rather than for a connection
        // keeps a listener of another process from passing for this one.
        let mut stderr = BufReader::new(service.child.stderr.take().unwrap());
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = stderr.read_line(&mut line);
            let _ = sender.send((line, stderr));
        });
        let Ok((line, mut stderr)) = receiver.recv_timeout(STARTUP) else {
            panic!("courier-rs did not bind its ports on {ip} within {STARTUP:?}");
        };
        if !line.starts_with("courier: environment ") {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            panic!(
                "courier-rs could not start on {ip}; it needs the registry's test ports {} \
                 (courier.api) and {} (courier.health) free there, and another process may \
                 hold one:\n{line}{rest}",
                ports::test::COURIER_API,
                ports::test::COURIER_HEALTH
            );
        }
        service.child.stderr = Some(stderr.into_inner());
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

/// The loopback address a test's service binds. All of 127.0.0.0/8 is
/// loopback on Linux, so there each call gets an address of its own (from the
/// process id and a counter, never 127.0.0.1); elsewhere only 127.0.0.1 is.
fn loopback() -> IpAddr {
    if cfg!(target_os = "linux") {
        static NEXT: AtomicU8 = AtomicU8::new(1);
        let pid = std::process::id();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        IpAddr::V4(Ipv4Addr::new(127, 0x80 | (pid >> 8) as u8, pid as u8, n))
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
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
    let ip = loopback();
    let (_service, startup) = Service::start_test(ip);
    let health = ports::courier::health(Environment::Test);
    let api = ports::courier::api(Environment::Test);

    // The port it listens on is the one ports.yaml gives courier.health in test.
    assert_eq!(health, ports::test::COURIER_HEALTH);
    assert!(
        startup.contains(&format!("health on {}", health.addr(ip))),
        "{startup}"
    );
    assert!(startup.contains("environment test"), "{startup}");
    assert!(
        startup.contains(&format!("api on {}", api.addr(ip))),
        "{startup}"
    );

    let (status, body) = get(health.addr(ip), "/health");
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
            r#""pourtier_url":"http://{ip}:{}""#,
            ports::test::POURTIER_API
        )),
        "{body}"
    );

    assert_eq!(get(health.addr(ip), "/nope").0, 404);
    let (status, body) = get(api.addr(ip), "/");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn pourtier_is_probed_at_the_registry_port() {
    let _ports = lock_ports();
    let ip = loopback();
    // Stand in for Pourtier where ports.yaml puts it in the test environment.
    let addr = ports::test::POURTIER_API.addr(ip);
    let pourtier = TcpListener::bind(addr).unwrap_or_else(|e| {
        panic!(
            "cannot stand in for Pourtier on {addr}, its registry port in test; another process \
             may hold it: {e}"
        )
    });
    let (_service, _) = Service::start_test(ip);
    let api = ports::courier::api(Environment::Test).addr(ip);

    let (status, body) = get(api, "/pourtier");
    assert_eq!((status, body.trim()), (200, "reachable"));
    // The probe reached this listener, not some other one.
    pourtier.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while let Err(e) = pourtier.accept() {
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}");
        assert!(
            Instant::now() < deadline,
            "courier-rs answered reachable without connecting to {addr}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    // Nothing listens there once the stand-in is gone.
    drop(pourtier);
    let (status, body) = get(api, "/pourtier");
    assert_eq!((status, body.trim()), (503, "unreachable"));
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
