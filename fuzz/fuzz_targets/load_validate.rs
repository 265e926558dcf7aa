//! Arbitrary bytes as ports.yaml: load and validate never panic, and every
//! finding's span lies inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan::{Source, check};

fuzz_target!(|data: &[u8]| {
    let source = Source::from_bytes("ports.yaml", data.to_vec());
    let report = check(&source);
    let len = source.text().len() as u32;
    for d in report.diagnostics.iter() {
        assert!(d.primary.span.start <= d.primary.span.end && d.primary.span.end <= len);
        let _ = portolan::diag::plain(&source, d);
    }
});
