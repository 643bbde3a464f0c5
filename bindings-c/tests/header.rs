//! The committed header is what cbindgen makes of the sources: a change to
//! the API that is not in include/landwatch.h fails here.
//! `LANDWATCH_BLESS=1 cargo test -p landwatch-c --test header` rewrites it.

use std::path::Path;

#[test]
fn header_is_fresh() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml reads");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("include").join("landwatch.h");
    if std::env::var_os("LANDWATCH_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("writes the header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "bindings-c/include/landwatch.h is stale: regenerate it with LANDWATCH_BLESS=1 cargo test -p landwatch-c --test header"
    );
}
