//! Tests of the `ports` crate, built as one binary: the generated API as a
//! service uses it, and `cargo build` on a broken registry.

mod api;
mod build;
mod fresh;
