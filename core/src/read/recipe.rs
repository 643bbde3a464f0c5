//! [`Recipe`]: what a rule set is built from, as text that can travel.
//!
//! Compiled [`Rules`] hold automata and regexes that have no stable byte
//! form, so a rule set goes to another process (a Spark executor, a worker
//! of a pool) as its recipe: the built-in pack by name, each rule file's
//! name and text, each Sigma file's name and text, and the Sigma options,
//! in load order. [`Recipe::build`] there gives the same rules, with the
//! same ids, origins, rejections and detections, because it is also the
//! only way [`load_rules`](super::load_rules) builds them here.
//!
//! [`Recipe::to_json`] writes it canonically (fields in a fixed order, no
//! spaces), so that equal recipes give equal text and a hash of the text
//! names a rule set.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::rules::{collect, io_error, line_of, LoadError, LoadedRules};
use crate::compile::RulesBuilder;
use crate::sigma::{self, Placeholders};

/// The version of the recipe format [`Recipe::to_json`] writes.
pub const RECIPE_FORMAT: u32 = 1;

/// What a rule set is built from, in load order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    /// [`RECIPE_FORMAT`].
    pub format: u32,
    /// The landwatch version that wrote it: the built-in pack and the
    /// compiler are that version's, so another version refuses it.
    pub landwatch: String,
    /// How Sigma parts are read.
    pub sigma: SigmaOptions,
    pub parts: Vec<Part>,
}

/// The Sigma options a recipe can carry (what [`sigma::Options`] holds,
/// but for a custom logsource table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigmaOptions {
    /// [`sigma::Options::normalize`].
    pub normalize: bool,
    /// [`sigma::Options::placeholders`].
    pub placeholders: Placeholders,
}

impl SigmaOptions {
    fn options(&self) -> sigma::Options {
        sigma::Options {
            normalize: self.normalize,
            placeholders: self.placeholders.clone(),
            ..sigma::Options::default()
        }
    }
}

/// One source of rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    /// The built-in pack of this landwatch version.
    Builtin,
    /// A file in the landwatch rule language: its name (as errors and
    /// [`crate::RuleInfo::origin`] give it) and its text.
    Lw { name: String, text: String },
    /// A Sigma YAML file: its name and text.
    Sigma { name: String, text: String },
}

impl Recipe {
    /// An empty recipe of this version.
    pub fn new() -> Recipe {
        Recipe {
            format: RECIPE_FORMAT,
            landwatch: env!("CARGO_PKG_VERSION").to_string(),
            sigma: SigmaOptions::default(),
            parts: Vec::new(),
        }
    }

    /// The built-in pack alone.
    pub fn builtin() -> Recipe {
        let mut r = Recipe::new();
        r.parts.push(Part::Builtin);
        r
    }

    /// One text in the rule language, `name` naming it in errors.
    pub fn source(name: &str, text: &str) -> Recipe {
        let mut r = Recipe::new();
        r.parts.push(Part::Lw { name: name.to_string(), text: text.to_string() });
        r
    }

    /// What [`load_rules`](super::load_rules) loads, read from disk now:
    /// Sigma files (directories searched recursively for `*.yml` and
    /// `*.yaml`), then the built-in pack when `builtin`, then rule files
    /// (directories searched for `*.lw`), directories in name order.
    pub fn from_paths(
        paths: &[impl AsRef<Path>],
        sigma_paths: &[impl AsRef<Path>],
        sigma: SigmaOptions,
        builtin: bool,
    ) -> Result<Recipe, LoadError> {
        let mut r = Recipe::new();
        r.sigma = sigma;
        for p in sigma_paths {
            for f in collect(p.as_ref(), &["yml", "yaml"])? {
                let text = std::fs::read_to_string(&f).map_err(|error| io_error(&f, error))?;
                r.parts.push(Part::Sigma { name: f.display().to_string(), text });
            }
        }
        if builtin {
            r.parts.push(Part::Builtin);
        }
        for p in paths {
            let p = p.as_ref();
            let files = collect(p, &["lw"])?;
            if files.is_empty() {
                return Err(LoadError::NoRuleFiles { path: p.display().to_string() });
            }
            for f in files {
                let bytes = std::fs::read(&f).map_err(|error| io_error(&f, error))?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    let offset = e.utf8_error().valid_up_to();
                    LoadError::NotUtf8 { path: f.display().to_string(), line: line_of(e.as_bytes(), offset), offset }
                })?;
                r.parts.push(Part::Lw { name: f.display().to_string(), text });
            }
        }
        Ok(r)
    }

    /// Compiles the parts in order. Sigma documents that cannot be loaded
    /// are listed in the result, not fatal; an error in a rule file is.
    pub fn build(&self) -> Result<LoadedRules, LoadError> {
        self.build_with(&self.sigma.options())
    }

    /// [`Recipe::build`] with Sigma options of the caller's (a custom
    /// logsource table, which a recipe does not carry).
    pub(super) fn build_with(&self, options: &sigma::Options) -> Result<LoadedRules, LoadError> {
        let mut builder = RulesBuilder::new();
        let mut sigma_loaded = 0;
        let mut rejected = Vec::new();
        for part in &self.parts {
            builder = match part {
                Part::Builtin => builder.add_builtin(),
                Part::Lw { name, text } => builder.add_source(name, text),
                Part::Sigma { name, text } => {
                    let mut loaded = sigma::load_with(name, text, options);
                    sigma_loaded += loaded.rules.len() + loaded.correlations.len();
                    rejected.append(&mut loaded.rejected);
                    builder.add_sigma(loaded)
                }
            };
        }
        let rules = builder.build().map_err(LoadError::Rules)?;
        Ok(LoadedRules { rules, sigma_loaded, rejected })
    }

    /// The recipe as canonical JSON: the same recipe always gives the same
    /// text.
    pub fn to_json(&self) -> String {
        // Plain data (strings, bools, numbers, a sorted map): nothing here
        // can fail to serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads [`Recipe::to_json`]'s text. A recipe of another format or
    /// another landwatch version is refused: the rules it builds here could
    /// differ from the ones it was written from.
    pub fn from_json(text: &str) -> Result<Recipe, String> {
        let r: Recipe = serde_json::from_str(text).map_err(|e| format!("not a landwatch rules recipe: {e}"))?;
        if r.format != RECIPE_FORMAT {
            return Err(format!(
                "a recipe of format {} (this landwatch reads format {RECIPE_FORMAT})",
                r.format
            ));
        }
        let here = env!("CARGO_PKG_VERSION");
        if r.landwatch != here {
            return Err(format!(
                "a recipe written by landwatch {}, read by landwatch {here}: install the same version everywhere the rules are built",
                r.landwatch
            ));
        }
        Ok(r)
    }
}

impl Default for Recipe {
    fn default() -> Recipe {
        Recipe::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipe_round_trips_and_rebuilds_the_same_rules() {
        let mut r = Recipe::source("mine.lw", "rule my.whoami { title: \"w\" level: low on: process when: Image endswith '\\whoami.exe' }");
        r.parts.insert(0, Part::Builtin);
        r.sigma.placeholders.insert("admins".into(), vec!["alice".into()]);
        let text = r.to_json();
        assert!(text.starts_with("{\"format\":1,\"landwatch\":"), "{text}");
        let back = Recipe::from_json(&text).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.to_json(), text);
        let a = r.build().unwrap().rules;
        let b = back.build().unwrap().rules;
        let ids = |x: &crate::Rules| x.iter().map(|i| (i.id.clone(), i.origin.clone())).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert!(a.get("my.whoami").is_some() && a.len() > 50);
    }

    #[test]
    fn other_versions_formats_and_damage_are_refused() {
        let text = Recipe::builtin().to_json();
        let other = text.replace(env!("CARGO_PKG_VERSION"), "0.0.0-other");
        assert!(Recipe::from_json(&other).unwrap_err().contains("same version"));
        let format = text.replace("\"format\":1", "\"format\":99");
        assert!(Recipe::from_json(&format).unwrap_err().contains("format 99"));
        assert!(Recipe::from_json("{}").is_err());
        assert!(Recipe::from_json(&text[..text.len() / 2]).is_err());
        let unknown = text.replace("\"kind\":\"builtin\"", "\"kind\":\"python\"");
        assert!(Recipe::from_json(&unknown).is_err());
    }

    #[test]
    fn rule_errors_come_back_as_load_errors() {
        let r = Recipe::source("bad.lw", "rule x {");
        assert!(matches!(r.build(), Err(LoadError::Rules(_))));
    }
}
