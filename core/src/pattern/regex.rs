//! Rule regexes: built by the `regex` crate (linear time in the input),
//! with its compiled size bounded by [`REGEX_SIZE_LIMIT`].

use crate::limits::REGEX_SIZE_LIMIT;

/// Builds a rule regex with the size limits every regex gets, the same for
/// the parser's check, the Sigma loader and the compiler. The error is the
/// `regex` crate's reason, in one line.
pub(crate) fn build_regex(re: &str) -> Result<regex::Regex, String> {
    ::regex::RegexBuilder::new(re)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regex_past_the_size_limit_is_an_error_naming_it() {
        let e = build_regex(r"\w{1000}\w{1000}\w{1000}").unwrap_err();
        assert!(e.contains("size limit"), "{e}");
        assert!(build_regex(r"(a|aa)*b").is_ok());
    }
}
