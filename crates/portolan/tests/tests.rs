//! The portolan library's integration tests, built as one binary.

mod allocate;
mod compile;
mod edit;
mod import;
mod properties;
mod render;
mod rules;
mod schema;
mod snapshots;
