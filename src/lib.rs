//! Every port of the Lumiere services, generated from `ports.yaml` at build time.
//!
//! Services import ports from here instead of hardcoding them:
//!
//! ```
//! use ports::{Environment, Port};
//!
//! let api: Port = ports::production::COURIER_API;
//! assert_eq!(api.get(), 8765);
//! assert_eq!(ports::courier::api(Environment::Test).get(), 7765);
//! assert_eq!(ports::infrastructure::POSTGRES_TEST.get(), 5433);
//! assert_eq!(ports::infrastructure::container::POSTGRES_TEST.get(), 5432);
//!
//! let env: Environment = "development".parse().unwrap();
//! let listen = ports::pourtier::api(env).unspecified_addr(); // 0.0.0.0:9000
//! assert_eq!(listen.port(), 9000);
//! ```
//!
//! What is generated:
//!
//! - [`Port`]: a `Copy` newtype over the port number, with [`Port::get`] and
//!   socket-address helpers for binding.
//! - [`Environment`]: one variant per environment, with `ALL`, `name()`,
//!   `FromStr` (its error lists the valid names) and `from_env()`, which reads
//!   [`Environment::VAR`].
//! - One module per environment (`ports::production`) with a constant per
//!   service port (`COURIER_API`), a `container` module with the ports the
//!   processes listen on inside their containers and, for Kubernetes
//!   environments, a `node_ports` module.
//! - One module per service (`ports::courier`) with a `const fn` per named port
//!   taking the environment.
//! - [`infrastructure`]: shared databases and caches.
//! - [`BINDINGS`]: every port with its service, name, environment, container
//!   port, NodePort and description, to iterate over.
//!
//! Edit `ports.yaml` and rebuild; `cargo ports check` explains any error.

#![deny(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/ports.rs"));
