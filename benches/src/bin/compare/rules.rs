//! The rule set every engine gets: the Sigma files that landwatch and rsigma
//! both load completely, and the subset of those that sigma-rust parses.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One Sigma rule file and what each engine made of it.
pub struct RuleFile {
    pub path: PathBuf,
    pub text: String,
    /// The YAML ids of its rules (as landwatch read them, without `sigma.`).
    pub ids: Vec<String>,
    pub landwatch: Vec<(landwatch::ast::Rule, landwatch::Origin)>,
    pub rsigma: Vec<rsigma_parser::SigmaRule>,
    /// sigma-rust's parse, when it accepted the file.
    pub sigma_rust: Option<sigma_rust::Rule>,
}

/// Counts for the report.
#[derive(Default)]
pub struct RuleCounts {
    pub files: usize,
    pub landwatch: usize,
    pub rsigma: usize,
    pub shared: usize,
    pub sigma_rust: usize,
    /// Files each engine did not load whole, by file name.
    pub landwatch_rejects: Vec<String>,
    pub rsigma_rejects: Vec<String>,
    pub sigma_rust_rejects: Vec<String>,
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Every `*.yml` / `*.yaml` under `dir`, sorted.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            yaml_files(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(e);
        }
    }
    Ok(())
}

/// Reads `dir` and keeps the files both landwatch and rsigma load whole.
pub fn shared_rules(dir: &Path) -> Result<(Vec<RuleFile>, RuleCounts), String> {
    let mut paths = Vec::new();
    yaml_files(dir, &mut paths).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if paths.is_empty() {
        return Err(format!("no Sigma rules under {}", dir.display()));
    }
    let mut counts = RuleCounts {
        files: paths.len(),
        ..RuleCounts::default()
    };
    let mut candidates = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = path.display().to_string();
        let lw = landwatch::sigma::load(&name, &text);
        let lw_ok = lw.rejected.is_empty() && !lw.rules.is_empty();
        counts.landwatch += usize::from(lw_ok);
        let rs = match rsigma_parser::parse_sigma_yaml(&text) {
            Ok(c) if c.errors.is_empty() && !c.rules.is_empty() && c.correlations.is_empty() && c.filters.is_empty() => Some(c.rules),
            _ => None,
        };
        // rsigma compiles at load: a rule it parses may still fail there.
        let rs = rs.filter(|rules| {
            let mut engine = rsigma_eval::Engine::new();
            engine.add_rules(rules.iter()).is_empty()
        });
        counts.rsigma += usize::from(rs.is_some());
        if !lw_ok {
            counts.landwatch_rejects.push(file_name(&path));
        }
        if rs.is_none() {
            counts.rsigma_rejects.push(file_name(&path));
        }
        let (Some(rsigma), true) = (rs, lw_ok) else { continue };
        let ids = lw
            .rules
            .iter()
            .map(|(r, _)| r.id.strip_prefix("sigma.").unwrap_or(&r.id).to_string())
            .collect();
        candidates.push(RuleFile {
            path,
            sigma_rust: sigma_rust::rule_from_yaml(&text).ok(),
            text,
            ids,
            landwatch: lw.rules,
            rsigma,
        });
    }
    // landwatch compiles all rules at once: drop any file whose rules fail
    // to compile (none are expected) and duplicate ids.
    let mut seen = HashSet::new();
    candidates.retain(|f| f.ids.iter().all(|id| seen.insert(id.clone())));
    let failing = compile_failures(&candidates);
    candidates.retain(|f| !f.ids.iter().any(|id| failing.contains(id)));
    counts.shared = candidates.len();
    counts.sigma_rust = candidates.iter().filter(|f| f.sigma_rust.is_some()).count();
    counts.sigma_rust_rejects = candidates
        .iter()
        .filter(|f| f.sigma_rust.is_none())
        .map(|f| file_name(&f.path))
        .collect();
    Ok((candidates, counts))
}

/// Ids (without `sigma.`) of rules landwatch's compiler rejects.
fn compile_failures(files: &[RuleFile]) -> HashSet<String> {
    match landwatch_rules(files) {
        Ok(_) => HashSet::new(),
        Err(errors) => errors
            .0
            .iter()
            .filter_map(|e| e.rule.as_deref())
            .map(|r| r.strip_prefix("sigma.").unwrap_or(r).to_string())
            .collect(),
    }
}

/// landwatch's compiled rules for `files`.
pub fn landwatch_rules(files: &[RuleFile]) -> Result<landwatch::Rules, landwatch::RuleErrors> {
    let mut b = landwatch::RulesBuilder::new();
    for f in files {
        for (rule, origin) in &f.landwatch {
            b = b.add_rule(rule.clone(), origin.clone());
        }
    }
    b.build()
}

/// rsigma's engine for `files`.
pub fn rsigma_engine(files: &[RuleFile]) -> rsigma_eval::Engine {
    let mut engine = rsigma_eval::Engine::new();
    // Every file was checked to compile alone in `shared_rules`.
    let _ = engine.add_rules(files.iter().flat_map(|f| f.rsigma.iter()));
    engine
}

/// Copies the shared files into `dir` (emptied first) for the CLI's --sigma.
pub fn write_rule_dir(files: &[RuleFile], dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (i, f) in files.iter().enumerate() {
        let name = f
            .path
            .file_name()
            .map_or_else(|| format!("{i}.yml"), |n| format!("{i:04}_{}", n.to_string_lossy()));
        std::fs::write(dir.join(&name), &f.text)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    Ok(())
}
