//! Walking directories for rule files and event files.

use std::io;
use std::path::{Path, PathBuf};

/// Every file under `dir` whose path `keep` accepts, recursively and in name
/// order (so that output order is stable from run to run).
pub fn under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            under(&e, keep, out)?;
        } else if keep(&e) {
            out.push(e);
        }
    }
    Ok(())
}
