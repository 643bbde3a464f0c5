//! `like` globs: `*` is any run of characters, `?` is one character, the
//! rest is literal; the glob matches the whole value. Translated to a
//! `regex` (linear time), with the longest literal run as the atom (ASCII
//! only when case is ignored, and neither `k` nor `s`, which the regex also
//! matches as the Kelvin sign and the long s: the automata fold ASCII case
//! alone).

/// The regex for `glob`, and its longest literal run (if any) for an atom.
pub(crate) fn glob_to_regex(glob: &str, cased: bool) -> (String, Option<String>) {
    let mut re = String::with_capacity(glob.len() + 16);
    re.push_str(if cased { "(?s)^" } else { "(?si)^" });
    let mut longest = String::new();
    let mut current = String::new();
    for c in glob.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            _ => {
                let mut buf = [0u8; 4];
                re.push_str(&regex::escape(c.encode_utf8(&mut buf)));
            }
        }
        // A wildcard ends a literal run. So does a character with other
        // cases when case is ignored: the regex ignores Unicode case, the
        // automata only ASCII case, and `Ü` must not be in an atom that `ü`
        // misses.
        // `k` and `s` too: ignoring case, the regex also matches the Kelvin
        // sign and the long s, which the automata do not take for them.
        let literal = !matches!(c, '*' | '?') && (cased || ascii_alone(c) || caseless(c));
        if literal {
            current.push(c);
        } else if current.len() > longest.len() {
            longest = std::mem::take(&mut current);
        } else {
            current.clear();
        }
    }
    if current.len() > longest.len() {
        longest = current;
    }
    re.push('$');
    (re, (!longest.is_empty()).then_some(longest))
}

/// An ASCII character whose only other case is ASCII.
fn ascii_alone(c: char) -> bool {
    c.is_ascii() && !matches!(c, 'k' | 'K' | 's' | 'S')
}

/// A character with no other case (`ˣ`, `─`, CJK): the same bytes whatever
/// the case folding.
fn caseless(c: char) -> bool {
    c.to_lowercase().eq(std::iter::once(c)) && c.to_uppercase().eq(std::iter::once(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_translate_and_pick_the_longest_literal() {
        let (re, atom) = glob_to_regex(r"C:\Windows\*\cmd.exe", false);
        assert_eq!(atom.as_deref(), Some(r"C:\Window"));
        let re = regex::Regex::new(&re).unwrap();
        assert!(re.is_match(r"c:\windows\system32\CMD.EXE"));
        assert!(!re.is_match(r"c:\windows\system32\cmd.exe.bak"));
        let (re, atom) = glob_to_regex("a?c*", true);
        assert_eq!(atom.as_deref(), Some("a"));
        let re = regex::Regex::new(&re).unwrap();
        assert!(re.is_match("abcdef"));
        assert!(!re.is_match("Abc"));
        assert_eq!(glob_to_regex("**", false).1, None);
        assert_eq!(glob_to_regex("Ünïx*Çorp", false).1.as_deref(), Some("orp"));
        assert_eq!(glob_to_regex("Ünïx*Çorp", true).1.as_deref(), Some("Ünïx"));
        assert_eq!(glob_to_regex("*ˣˣ*", false).1.as_deref(), Some("ˣˣ"));
        // Ignoring case, `k` also matches the Kelvin sign: the atom stops there.
        let (re, atom) = glob_to_regex(r"*\desk.exe", false);
        assert_eq!(atom.as_deref(), Some(".exe"));
        assert!(regex::Regex::new(&re).unwrap().is_match("c:\\des\u{212A}.exe"));
        assert_eq!(glob_to_regex(r"*\desk.exe", true).1.as_deref(), Some(r"\desk.exe"));
    }
}
