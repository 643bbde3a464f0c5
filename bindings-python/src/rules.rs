//! `landwatch.Rules`: a compiled, immutable rule set, shared by scanners
//! and threads.

use std::sync::Arc;

use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use landwatch::read::{LoadedRules, Recipe};

use crate::detection::{escape, level_badge};
use crate::errors::{self, guard};
use crate::scanner::{type_name, Options, Scanner};

/// A compiled rule set: rules on one event and correlations over a stream.
///
/// Immutable and safe to share between threads; make one `Scanner` per
/// stream (or thread) with `scanner()`. Built by `landwatch.compile`,
/// `landwatch.builtin` or `landwatch.load`. `len(rules)` counts rules and
/// correlations; `id in rules` tells whether one is there.
#[pyclass(module = "landwatch", frozen)]
pub struct Rules {
    pub(crate) inner: Arc<landwatch::Rules>,
    /// Sigma documents that could not be loaded (by `load`).
    rejected: Vec<landwatch::sigma::Rejection>,
    sigma_loaded: usize,
    /// What it was built from.
    recipe: Recipe,
}

impl Rules {
    /// Builds `recipe` with the GIL released; RuleError, OSError... as the
    /// loader's errors map.
    pub fn build(py: Python<'_>, recipe: Recipe) -> PyResult<Rules> {
        let built = py.detach(|| recipe.build());
        match built {
            Ok(LoadedRules { rules, sigma_loaded, rejected }) => {
                Ok(Rules { inner: Arc::new(rules), rejected, sigma_loaded, recipe })
            }
            Err(e) => Err(errors::load_error(py, &e)),
        }
    }

    pub fn rejections(&self) -> &[landwatch::sigma::Rejection] {
        &self.rejected
    }
}

fn info_dict<'py>(py: Python<'py>, r: &landwatch::RuleInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &r.id)?;
    d.set_item("title", &r.title)?;
    d.set_item("level", r.level.as_str())?;
    d.set_item("tags", &r.tags)?;
    d.set_item("kind", r.kind.as_str())?;
    d.set_item("description", r.description.as_deref())?;
    d.set_item("references", &r.references)?;
    d.set_item("reports", r.reports)?;
    d.set_item("on", r.on.as_str())?;
    d.set_item("file", &r.origin.file)?;
    d.set_item("line", r.origin.line)?;
    Ok(d)
}

#[pymethods]
impl Rules {
    /// Every rule's and correlation's id, in load order (rules first).
    fn ids(&self) -> Vec<String> {
        self.inner.iter().map(|r| r.id.clone()).collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, id: &str) -> bool {
        self.inner.get(id).is_some()
    }

    /// One rule's metadata: id, title, level, tags, kind ("stateless" or
    /// "correlation"), description, references, reports (False for a rule
    /// only correlations read), on (the events it looks at), file and line.
    /// KeyError for an unknown id.
    fn info<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyDict>> {
        guard(|| match self.inner.get(id) {
            Some(r) => info_dict(py, r),
            None => Err(PyKeyError::new_err(id.to_string())),
        })
    }

    /// The number of correlations among the rules.
    #[getter]
    fn correlations(&self) -> usize {
        self.inner.correlation_count()
    }

    /// Sigma documents `load` could not take: dicts of file, line, rule
    /// (title or id, or None) and reason. Empty for other rule sets.
    #[getter]
    fn rejected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let list = PyList::empty(py);
            for r in &self.rejected {
                let d = PyDict::new(py);
                d.set_item("file", &r.file)?;
                d.set_item("line", r.line)?;
                d.set_item("rule", r.rule.as_deref())?;
                d.set_item("reason", &r.reason)?;
                list.append(d)?;
            }
            Ok(list)
        })
    }

    /// Sigma rules and correlations `load` took.
    #[getter]
    fn sigma_loaded(&self) -> usize {
        self.sigma_loaded
    }

    /// What these rules were built from, as canonical JSON text: the
    /// built-in pack by name, each rule file's and Sigma file's name and
    /// text, the Sigma options, in load order. `Rules.from_recipe(text)`
    /// builds the same rules again (in another process, say: this is how
    /// `landwatch.spark` ships rules to executors). Equal rule sets give
    /// equal text.
    fn recipe(&self) -> String {
        self.recipe.to_json()
    }

    /// The SHA-256 of `recipe()`, in hex: names the rule set (rules built
    /// from the same texts and options, by the same landwatch version,
    /// have the same digest).
    #[getter]
    fn digest(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| {
            let hashlib = py.import("hashlib")?;
            let h = hashlib.call_method1("sha256", (PyBytes::new(py, self.recipe.to_json().as_bytes()),))?;
            h.call_method0("hexdigest")?.extract()
        })
    }

    /// The rules a recipe (`Rules.recipe()`'s text, str or bytes) builds.
    /// ValueError for text that is no recipe, or one written by another
    /// landwatch version (whose built-in pack and compiler may differ);
    /// RuleError as `compile` and `load` raise it.
    #[staticmethod]
    fn from_recipe(py: Python<'_>, recipe: &Bound<'_, PyAny>) -> PyResult<Rules> {
        guard(|| {
            let text = if let Ok(s) = recipe.cast::<PyString>() {
                s.to_string_lossy().into_owned()
            } else if let Ok(b) = recipe.cast::<PyBytes>() {
                String::from_utf8_lossy(b.as_bytes()).into_owned()
            } else {
                return Err(PyTypeError::new_err(format!("recipe: expected str or bytes, not {}", type_name(recipe))));
            };
            let parsed = Recipe::from_json(&text).map_err(|e| PyValueError::new_err(format!("recipe: {e}")))?;
            Rules::build(py, parsed)
        })
    }

    /// The correlations' ids, in the order `landwatch.spark` numbers them.
    fn _correlation_ids(&self) -> Vec<String> {
        self.inner.correlation_ids().into_iter().map(str::to_string).collect()
    }

    /// The ids of the first-seen correlations (whose learning period starts
    /// at the stream's first correlated event).
    fn _first_seen(&self) -> Vec<String> {
        self.inner.first_seen().map(|r| r.id.clone()).collect()
    }

    /// A scanner over these rules: one stream, with its correlation state.
    ///
    /// `schema`: "auto" (per event), "sysmon", "security", "ecs" or "evtx".
    /// `zones`: network zones and business hours for the correlations that
    /// read them — a path to a zones TOML file, the TOML text itself, or
    /// None (those correlations then stay silent). `lateness`: how far out of
    /// time order events may arrive, as "60s", "5m", "500ms" or seconds.
    /// `time_field`: a field read for the event time before the schema's
    /// own. `time_missing`: "skip" (correlations skip an event without a
    /// readable time) or "previous" (it gets the time of the event before).
    /// `ordered`: hold stateless detections back too, so that all come out
    /// in event-time order. `max_events`: the most contributing events a
    /// correlated detection lists.
    #[pyo3(signature = (schema = None, zones = None, lateness = None, *, time_field = None, time_missing = None, ordered = false, max_events = 32))]
    #[allow(clippy::too_many_arguments)]
    fn scanner(
        slf: &Bound<'_, Self>,
        schema: Option<&Bound<'_, PyAny>>,
        zones: Option<&Bound<'_, PyAny>>,
        lateness: Option<&Bound<'_, PyAny>>,
        time_field: Option<String>,
        time_missing: Option<&Bound<'_, PyAny>>,
        ordered: bool,
        max_events: usize,
    ) -> PyResult<Scanner> {
        guard(|| {
            let options = Options::parse(slf.py(), schema, zones, lateness, time_field, time_missing, ordered, max_events)?;
            Ok(Scanner::new(slf.clone().unbind(), &slf.get().inner, options))
        })
    }

    fn __repr__(&self) -> String {
        let n = self.inner.len();
        let c = self.inner.correlation_count();
        let mut s = format!("<Rules {} rules, {c} of them correlations", n);
        if !self.rejected.is_empty() {
            s.push_str(&format!("; {} Sigma documents rejected", self.rejected.len()));
        }
        s.push('>');
        s
    }

    /// A compact HTML table of the rules for Jupyter, levels coloured.
    fn _repr_html_(&self) -> String {
        let mut html = format!(
            "<div class=\"landwatch-rules\"><p>{}</p><table style=\"border-collapse:collapse\"><thead><tr>",
            escape(&self.__repr__())
        );
        for h in ["id", "kind", "level", "title", "tags"] {
            html.push_str(&format!("<th style=\"text-align:left;padding:1px 8px 1px 0\">{h}</th>"));
        }
        html.push_str("</tr></thead><tbody>");
        for r in self.inner.iter() {
            html.push_str(&format!(
                "<tr><td style=\"text-align:left\"><code>{}</code></td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td></tr>",
                escape(&r.id),
                r.kind.as_str(),
                level_badge(r.level),
                escape(&r.title),
                escape(&r.tags.join(", "))
            ));
        }
        html.push_str("</tbody></table></div>");
        html
    }
}
