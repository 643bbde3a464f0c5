//! The command-line normal form.
//!
//! Attackers write the command line, and obfuscate it: `c^e^r^t^u^t^i^l`,
//! `"cert"util`, `/urlcache` for `-urlcache`, en dashes, `%COMSPEC%`, doubled
//! spaces, zero-width characters, base64 `-EncodedCommand`. Rules match
//! `CommandLine` and `ParentCommandLine` in a normal form where these
//! variations collapse, and read the decoded PowerShell as
//! `CommandLine.decoded`. See `docs/normal-form.md`.
//!
//! Steps, in order:
//!
//! 1. invisible characters removed;
//! 2. dash lookalikes to `-`;
//! 3. carets removed;
//! 4. quotes removed, except one pair enclosing a whole token that holds a
//!    space (`"C:\Program Files\a.exe"`);
//! 5. whitespace runs to one space, ends trimmed;
//! 6. machine-wide environment variables expanded;
//! 7. `/` option prefixes to `-`, at the start of every space-separated word;
//! 8. lowercase.
//!
//! Steps 1-5 are one pass (`clean`); PowerShell's encoded commands are
//! decoded from its output, where case is still as written. Steps 6-8 follow
//! (`finish`). The result is a fixed point: normalizing it again changes
//! nothing (see `docs/normal-form.md` for why one pass suffices).

mod decode;

/// A command line in normal form, with any text decoded from it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Normalized {
    /// The normal form.
    pub normal: String,
    /// Text decoded from PowerShell `-EncodedCommand` arguments, joined by
    /// newlines; `None` when there were none.
    pub decoded: Option<String>,
}

/// Normalizes a command line as written in an event.
pub fn command_line(raw: &str) -> Normalized {
    if is_plain(raw.as_bytes()) {
        return Normalized {
            normal: raw.to_ascii_lowercase(),
            decoded: None,
        };
    }
    let cleaned = clean(raw);
    let decoded = decode::encoded_commands(&cleaned);
    Normalized {
        normal: finish(cleaned),
        decoded,
    }
}

/// Normalizes a rule's pattern so that it can be found in normal forms. The
/// same steps apply, but a single leading or trailing space is kept when the
/// pattern has whitespace there (a pattern such as `' -enc '` needs its
/// spaces), and the pattern's start counts as the start of a token (`'/c'`
/// becomes `-c`).
pub fn pattern(p: &str) -> String {
    // Whitespace at an end counts once invisible characters and carets,
    // which the steps remove, are skipped.
    let visible = |c: &char| !is_invisible(*c) && *c != '^';
    let lead = p.chars().find(visible).is_some_and(char::is_whitespace);
    let trail = p
        .chars()
        .rev()
        .find(visible)
        .is_some_and(char::is_whitespace);
    let body = command_line(p).normal;
    if body.is_empty() {
        return if lead || trail { " ".into() } else { body };
    }
    let mut out = String::with_capacity(body.len() + 2);
    if lead {
        out.push(' ');
    }
    out.push_str(&body);
    if trail {
        out.push(' ');
    }
    out
}

/// True when the normal form is just the ASCII lowercase and nothing can be
/// decoded: printable ASCII with single spaces, none of `^ " % /`, no leading
/// or trailing space, and no token starting `-e` (a possible `-EncodedCommand`).
fn is_plain(b: &[u8]) -> bool {
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut prev_space = true;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'^' | b'"' | b'%' | b'/' => return false,
            b' ' => {
                if prev_space {
                    return false;
                }
                prev_space = true;
            }
            b'-' if prev_space && b.get(i + 1).is_some_and(|n| n | 0x20 == b'e') => return false,
            0x21..=0x7e => prev_space = false,
            _ => return false,
        }
    }
    true
}

/// Step 1: zero-width and other invisible characters.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// Step 2: characters that look like `-`.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Steps 1-5 in one pass: invisible characters, dashes, carets, quotes
/// inside tokens, whitespace. Case is kept (base64 needs it). Tokens are
/// written straight to the output; one with quotes that are not a single
/// enclosing pair is rewritten without them once it ends.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // Holds a token being rewritten; allocated only if one is.
    let mut scratch = String::new();
    let mut token: Option<usize> = None; // where the current token starts in `out`
    let mut quotes = 0usize;
    let mut quoted = false;
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A run of printable ASCII other than `^` and `"` is copied whole.
        let run = bytes[i..]
            .iter()
            .position(|&b| !matches!(b, 0x21..=0x7e) || b == b'^' || b == b'"')
            .unwrap_or(bytes.len() - i);
        if run > 0 {
            if token.is_none() {
                token = Some(start_token(&mut out));
                quotes = 0;
            }
            out.push_str(&raw[i..i + run]);
            i += run;
            continue;
        }
        let Some(c) = raw[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        if is_invisible(c) || c == '^' {
            continue;
        }
        let c = if is_dash(c) { '-' } else { c };
        if c.is_whitespace() {
            if quoted {
                // Inside quotes: part of the token, folded to one space. The
                // token has its opening quote, so `out` is not empty.
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            } else if let Some(start) = token.take() {
                end_token(&mut out, start, quotes, &mut scratch);
            }
            continue;
        }
        if token.is_none() {
            token = Some(start_token(&mut out));
            quotes = 0;
        }
        if c == '"' {
            quoted = !quoted;
            quotes += 1;
        }
        out.push(c);
    }
    if let Some(start) = token {
        end_token(&mut out, start, quotes, &mut scratch);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Separates a new token from the last one; returns where it starts.
fn start_token(out: &mut String) -> usize {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
    out.len()
}

/// Step 4 for the token `out[start..]`: kept when its only quotes enclose it
/// whole and it holds a space (`"C:\Program Files\a.exe"`), else rewritten
/// without quotes. Spaces
/// the rewrite brings together (`a" "b`, `" x"` after a space) fold into one.
fn end_token(out: &mut String, start: usize, quotes: usize, scratch: &mut String) {
    if quotes == 0 {
        return;
    }
    let tok = &out[start..];
    // A quoted argument with a space inside keeps its quotes: they say where
    // it ends. Without a space they mean nothing to the program that reads
    // it (`"/user:x"` is `/user:x`) and go like any other.
    if quotes == 2 && tok.len() >= 2 && tok.starts_with('"') && tok.ends_with('"') && tok.contains(' ') {
        return;
    }
    scratch.clear();
    scratch.push_str(tok);
    out.truncate(start);
    for c in scratch.chars() {
        match c {
            '"' => {}
            ' ' => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
}

/// Machine-wide environment variables and their values (lowercase names).
const ENV: &[(&str, &str)] = &[
    ("systemroot", r"c:\windows"),
    ("windir", r"c:\windows"),
    ("systemdrive", "c:"),
    ("homedrive", "c:"),
    ("comspec", r"c:\windows\system32\cmd.exe"),
    ("programfiles", r"c:\program files"),
    ("programfiles(x86)", r"c:\program files (x86)"),
    ("programw6432", r"c:\program files"),
    ("commonprogramfiles", r"c:\program files\common files"),
    ("programdata", r"c:\programdata"),
    ("allusersprofile", r"c:\programdata"),
    ("public", r"c:\users\public"),
];

/// The longest name in [`ENV`]: longer text between `%`s is not compared.
const ENV_NAME_MAX: usize = 18;

/// Steps 6-8 on a cleaned line: variables expanded, option prefixes
/// unified, lowercase. In place when the text is ASCII.
fn finish(cleaned: String) -> String {
    let s = expand_env(cleaned);
    if s.is_ascii() {
        let mut bytes = s.into_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let end = memchr::memchr(b' ', &bytes[start..]).map_or(bytes.len(), |p| start + p);
            if is_slash_option(&bytes[start..end]) {
                bytes[start] = b'-';
            }
            start = end + 1;
        }
        bytes.make_ascii_lowercase();
        // Only ASCII bytes were changed, for ASCII bytes: still UTF-8.
        return String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    }
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let word = if is_slash_option(word.as_bytes()) {
            out.push('-');
            &word[1..]
        } else {
            word
        };
        for c in word.chars() {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                // Per character, without the final-sigma context rule of
                // `str::to_lowercase`: the same character always folds the
                // same way, wherever it is.
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

/// Step 7: `/c`, `/user:bob`, `/i:http://x/y.sct`, `/add"` (the end of a
/// quoted command); not `/windows/x`, `/tmp/a.sh` or `/`.
fn is_slash_option(word: &[u8]) -> bool {
    let Some(rest) = word.strip_prefix(b"/") else {
        return false;
    };
    let name = rest
        .split(|&b| b == b':' || b == b'=')
        .next()
        .unwrap_or(&[]);
    !name.is_empty() && !name.iter().any(|&b| matches!(b, b'/' | b'\\' | b'.'))
}

/// Step 6: expands `%NAME%` for the names in [`ENV`], ASCII
/// case-insensitively. Left to right: at a `%`, if the text up to the next
/// `%` is a known name, it and both `%` are replaced; otherwise the `%` is
/// kept and the scan goes on from the next character.
fn expand_env(s: String) -> String {
    let Some(first) = memchr::memchr(b'%', s.as_bytes()) else {
        return s;
    };
    let mut out: Option<String> = None;
    let mut copied = 0; // `s[..copied]` is in `out` (once there is one)
    let mut at = first; // a '%'
    loop {
        let after = &s[at + 1..];
        let Some(q) = memchr::memchr(b'%', after.as_bytes()) else {
            break;
        };
        let name = &after[..q];
        let value = (name.len() <= ENV_NAME_MAX)
            .then(|| ENV.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)))
            .flatten();
        match value {
            Some((_, v)) => {
                let o = out.get_or_insert_with(|| String::with_capacity(s.len() + 32));
                o.push_str(&s[copied..at]);
                o.push_str(v);
                copied = at + 1 + q + 1;
                match memchr::memchr(b'%', &s.as_bytes()[copied..]) {
                    Some(p) => at = copied + p,
                    None => break,
                }
            }
            // The closing candidate is the next '%' to try.
            None => at = at + 1 + q,
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&s[copied..]);
            o
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn obfuscations_collapse() {
        let n = |s: &str| command_line(s).normal;
        assert_eq!(n("c^e^r^t^u^t^i^l  /urlcache"), "certutil -urlcache");
        assert_eq!(n("\"cert\"util.exe -f"), "certutil.exe -f");
        assert_eq!(
            n("\"C:\\Program Files\\x.exe\" /c"),
            "\"c:\\program files\\x.exe\" -c"
        );
        assert_eq!(
            n("%COMSPEC% /c whoami"),
            "c:\\windows\\system32\\cmd.exe -c whoami"
        );
        assert_eq!(n("net\u{200B}1 use \u{2013}user"), "net1 use -user");
        assert_eq!(n("ls /windows/x"), "ls /windows/x");
        assert_eq!(n("a\"  \"b  \" x\"y"), "a b xy");
        assert_eq!(n("%%windir%%"), "%c:\\windows%");
        assert_eq!(n("%x%windir%"), "%xc:\\windows");
        assert_eq!(pattern("/user:"), "-user:");
        assert_eq!(pattern(" /c "), " -c ");
        assert_eq!(pattern("\\cmd.exe /c"), "\\cmd.exe -c");
        assert_eq!(pattern("\u{FEFF} -enc"), " -enc");
        assert_eq!(pattern("^ "), " ");
        assert_eq!(pattern(""), "");
    }

    /// The slow path, whatever the input.
    fn slow(s: &str) -> String {
        finish(clean(s))
    }

    #[test]
    fn plain_lines_take_the_fast_path_to_the_same_result() {
        for s in ["cmd.exe -c whoami", "Get-Service spooler", "a b c", "x -f"] {
            assert!(is_plain(s.as_bytes()), "{s}");
            assert_eq!(command_line(s).normal, slow(s));
        }
        for s in ["a  b", " a", "a/b", "x -enc AAAA", "-E x", "a\tb", "é"] {
            assert!(!is_plain(s.as_bytes()), "{s}");
        }
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_slow_path(s in "[ -~]{0,40}|(-e |-E |-x |dwBoAG8AYQBtAGkA|a| )*") {
            let got = command_line(&s);
            prop_assert_eq!(&got.normal, &slow(&s));
            prop_assert_eq!(got.decoded, decode::encoded_commands(&clean(&s)));
        }
    }
}
