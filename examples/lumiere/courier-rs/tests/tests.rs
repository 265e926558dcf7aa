//! Integration tests of courier-rs: the built binary, started as a deployment
//! starts it, reached on the ports ports.yaml gives.

mod health;
