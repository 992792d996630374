//! What `cxloop import customers` and `cxloop import feedback` share: the
//! `--map HEADER=TARGET` options, the report of a checked file (its column
//! mapping and every bad row, by file and line), the dry-run and
//! all-or-nothing rules, and the progress line.

use anyhow::{Context, Result, bail};
use cxloop_server::kernel::customer_import::RowError;
use std::collections::HashMap;
use std::path::Path;

/// `--map HEADER=TARGET` options as a map.
pub fn parse_maps(maps: &[String]) -> Result<HashMap<String, String>> {
    let mut explicit = HashMap::new();
    for m in maps {
        let (h, t) = m.split_once('=').with_context(|| format!("--map {m:?}: use HEADER=TARGET"))?;
        explicit.insert(h.trim().to_string(), t.trim().to_string());
    }
    Ok(explicit)
}

/// A checked file, summed up.
pub struct Checked<'a> {
    pub file: &'a Path,
    pub mapping: &'a [(String, String)],
    pub errors: &'a [RowError],
    pub rows: u64,
    pub good: usize,
}

/// Prints the mapping and the problems. `Ok(false)`: stop here, successfully
/// (a clean dry run); an error: stop (a dry run with problems, or
/// all-or-nothing with problems); `Ok(true)`: go on and write.
pub fn report(c: &Checked<'_>, dry_run: bool, all_or_nothing: bool) -> Result<bool> {
    for (h, t) in c.mapping {
        eprintln!("column {h:?} -> {t}");
    }
    for e in c.errors {
        eprintln!("{}: {e}", c.file.display());
    }
    if dry_run {
        println!("{} rows: {} valid, {} with problems (dry run: nothing imported)", c.rows, c.good, c.errors.len());
        return if c.errors.is_empty() { Ok(false) } else { bail!("the file has problems") };
    }
    if all_or_nothing && !c.errors.is_empty() {
        bail!("{} rows with problems; nothing was imported (--all-or-nothing)", c.errors.len());
    }
    Ok(true)
}

/// A one-line progress report on stderr.
pub struct Progress {
    done: usize,
    total: usize,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress { done: 0, total }
    }

    pub fn advance(&mut self, n: usize) {
        self.done += n;
        eprint!(
            "\rimporting: {}/{} ({:.0}%)",
            self.done,
            self.total,
            self.done as f64 * 100.0 / self.total.max(1) as f64
        );
    }

    pub fn finish(self) {
        if self.done > 0 {
            eprintln!();
        }
    }
}
