//! The EVTX reader (feature `evtx`) on arbitrary bytes, as whole files:
//! the seeds are real files and the fuzzer damages their chunks. Oracle: no
//! panic; every record it gives is scanned without panicking.
#![no_main]
use std::fmt;
use std::sync::{Arc, OnceLock};

use landwatch::read::EventSink;
use landwatch::{Rules, RulesBuilder, Scanner, Schema};
use libfuzzer_sys::fuzz_target;

fn rules() -> Arc<Rules> {
    static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(RulesBuilder::new().add_builtin().build().expect("built-in rules compile")))
        .clone()
}

struct Sink(Scanner, usize);

impl EventSink for Sink {
    fn event(&mut self, _line: u64, json: &[u8]) {
        let _ = self.0.scan_json(json);
        self.1 += 1;
    }
    fn skip(&mut self, _line: u64, _reason: &'static str, _error: &dyn fmt::Display) {}
    fn stopped(&self) -> bool {
        self.1 > 256
    }
}

fuzz_target!(|data: &[u8]| {
    let mut sink = Sink(Scanner::new(rules()).with_schema(Schema::Evtx), 0);
    let _ = landwatch::read::read_evtx_buffer(data.to_vec(), &mut sink);
});
