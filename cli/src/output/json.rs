//! `--format jsonl`: one object per detection, in the shape the core
//! defines ([`Detection::write_json`]), which the C library shares.

use std::io::{self, Write};

use landwatch::Detection;

pub fn write(out: &mut impl Write, d: &Detection) -> io::Result<()> {
    d.write_json(&mut *out)?;
    out.write_all(b"\n")
}
