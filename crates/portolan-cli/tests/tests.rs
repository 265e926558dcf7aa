//! The `portolan` binary as users run it, built as one test binary.

mod check;
mod faults;
mod hostile;
mod import;
mod registry;
mod sync;
