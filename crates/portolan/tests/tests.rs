//! The portolan library's integration tests, built as one binary.

mod compile;
mod rules;
mod snapshots;
