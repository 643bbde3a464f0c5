//! The DSL parser on arbitrary text. Oracle: whatever parses prints back to
//! source that parses to the same rules and correlations (origins aside).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = landwatch::dsl::parse("fuzz.lw", text) else { return };
    let printed = landwatch::dsl::print(&parsed);
    let again = match landwatch::dsl::parse("printed.lw", &printed) {
        Ok(p) => p,
        Err(e) => panic!("printed source does not parse: {e}\n--- input\n{text}\n--- printed\n{printed}"),
    };
    let strip = |p: &landwatch::dsl::Parsed| {
        (
            p.rules.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
            p.correlations.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(strip(&parsed), strip(&again), "parse(print(ast)) != ast\n--- printed\n{printed}");
});
