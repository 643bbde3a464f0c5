//! The Sigma loader on arbitrary YAML text (detection and correlation
//! documents, several per file), then compiling what loaded, and the
//! placeholder and logsource readers on the same text. Oracle: no panic;
//! every document is a rule, a correlation or a rejection with a line in
//! the file; compile errors are values.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.lines().count().max(1);
    for normalize in [false, true] {
        let options = landwatch::sigma::Options { normalize, ..Default::default() };
        let loaded = landwatch::sigma::load_with("fuzz.yml", text, &options);
        for r in &loaded.rejected {
            assert!(r.line >= 1 && r.line <= lines + 1, "rejection line {} of {lines}: {r}", r.line);
        }
        let _ = landwatch::RulesBuilder::new().add_sigma(loaded).build();
    }
    let _ = landwatch::sigma::placeholders(text);
    let _ = landwatch::schema::logsource::LogSourceTable::from_yaml(text);
});
