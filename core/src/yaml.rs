//! YAML loading with bounded alias expansion.
//!
//! `yaml_rust2::YamlLoader` copies the node an alias names at every use, so
//! a file of nine anchors each made of ten aliases to the previous one (the
//! "billion laughs" shape, 16 lines) expands to 10^9 values and takes all
//! memory. Every YAML text landwatch reads (Sigma rules, placeholder files,
//! logsource tables) goes through [`load_from_str`], which first walks the
//! parser's events, sizes each anchored node as it would be expanded, and
//! refuses the text before anything is built when the aliases would expand
//! past [`MAX_ALIAS_USES`] uses or [`MAX_ALIAS_EXPANSION`] nodes and bytes.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError};
use yaml_rust2::{Yaml, YamlLoader};

use crate::limits::{MAX_ALIAS_EXPANSION, MAX_ALIAS_USES};

/// Loads every document of `text`, as `YamlLoader::load_from_str` does,
/// unless its aliases expand past the bounds above: then an error at the
/// alias that crossed them.
pub(crate) fn load_from_str(text: &str) -> Result<Vec<Yaml>, ScanError> {
    check_aliases(text)?;
    YamlLoader::load_from_str(text)
}

/// Walks the events of `text` and sizes what its aliases expand to.
fn check_aliases(text: &str) -> Result<(), ScanError> {
    let mut parser = Parser::new_from_str(text);
    // Expanded size of each anchored node, by anchor id.
    let mut anchors: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    // Open sequences and mappings: (anchor id, size so far).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut uses = 0usize;
    let mut expansion = 0usize;
    loop {
        let (event, mark) = parser.next_token()?;
        let done = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            Event::Scalar(value, _, anchor, _) => Some((anchor, 1 + value.len())),
            Event::Alias(id) => {
                let size = anchors.get(&id).copied().unwrap_or(1);
                uses += 1;
                expansion = expansion.saturating_add(size);
                if uses > MAX_ALIAS_USES {
                    return Err(too_much(mark, format!("more than {MAX_ALIAS_USES} alias uses")));
                }
                if expansion > MAX_ALIAS_EXPANSION {
                    return Err(too_much(
                        mark,
                        format!("aliases expand to more than {MAX_ALIAS_EXPANSION} nodes and bytes"),
                    ));
                }
                Some((0, size))
            }
            _ => None,
        };
        if let Some((anchor, size)) = done {
            if anchor > 0 {
                anchors.insert(anchor, size);
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = parent.1.saturating_add(size);
            }
        }
    }
}

fn too_much(mark: Marker, what: String) -> ScanError {
    ScanError::new_string(
        mark,
        format!("{what} (the billion-laughs shape): refused before expanding"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_within_bounds_load_as_before() {
        let text = "a: &x [1, 2, 3]\nb: *x\nc: *x\n";
        assert_eq!(load_from_str(text).unwrap(), YamlLoader::load_from_str(text).unwrap());
    }

    #[test]
    fn nested_aliases_are_sized_as_expanded() {
        // 7 levels of 10: 10^7 scalars once expanded.
        let mut text = String::from("l0: &l0 \"lol\"\n");
        for level in 1..=7 {
            let uses = vec![format!("*l{}", level - 1); 10].join(", ");
            text.push_str(&format!("l{level}: &l{level} [{uses}]\n"));
        }
        let e = load_from_str(&text).unwrap_err();
        assert!(e.info().contains("aliases expand"), "{}", e.info());
    }
}
