//! The command-line normal form.
//!
//! Attackers write the command line, and obfuscate it: `c^e^r^t^u^t^i^l`,
//! `"cert"util`, `/urlcache` for `-urlcache`, en dashes, `%COMSPEC%`, doubled
//! spaces, zero-width characters, base64 `-EncodedCommand`. Rules match
//! `CommandLine` and `ParentCommandLine` in a normal form where these
//! variations collapse, and read the decoded PowerShell as
//! `CommandLine.decoded`. See `docs/normal-form.md`.
//!
//! Steps, in order: invisible characters removed; dash lookalikes to `-`;
//! carets removed; quotes inside a token removed; whitespace folded; machine-wide
//! environment variables expanded; `/` option prefixes to `-`; lowercase.
//! The result is a fixed point: normalizing it again changes nothing.

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
    if is_plain(raw) {
        return Normalized {
            normal: raw.to_ascii_lowercase(),
            decoded: None,
        };
    }
    let cleaned = clean(raw);
    let decoded = decode::encoded_commands(&cleaned);
    Normalized {
        normal: finish(&cleaned, true),
        decoded,
    }
}

/// Normalizes a rule's pattern so that it can be found in normal forms. The
/// same steps apply, but a leading or trailing space is kept (a pattern such
/// as `' -enc '` needs its spaces), and the pattern's start counts as the
/// start of a token.
pub fn pattern(p: &str) -> String {
    let lead = p.starts_with(char::is_whitespace);
    let trail = p.ends_with(char::is_whitespace) && p.chars().any(|c| !c.is_whitespace());
    let body = finish(&clean(p), true);
    let mut out = String::with_capacity(body.len() + 2);
    if lead {
        out.push(' ');
    }
    out.push_str(&body);
    if trail && !body.is_empty() {
        out.push(' ');
    }
    out
}

/// True when the normal form is just the ASCII lowercase and nothing can be
/// decoded: printable ASCII with single spaces, none of `^ " % /`, no leading
/// or trailing space, and no token starting `-e` (a possible `-EncodedCommand`).
fn is_plain(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut prev_space = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'^' | b'"' | b'%' | b'/' => return false,
            b'-' if (i == 0 || prev_space) && b.get(i + 1).is_some_and(|n| n | 0x20 == b'e') => {
                return false
            }
            b' ' => {
                if prev_space {
                    return false;
                }
                prev_space = true;
            }
            0x21..=0x7e => prev_space = false,
            _ => return false,
        }
    }
    true
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Steps before case folding: invisible characters, dashes, carets, quotes
/// inside tokens, whitespace. Case is kept (base64 needs it). Leading and
/// trailing whitespace go.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut token = String::new();
    let mut quoted = false;
    for c in raw.chars() {
        if is_invisible(c) || c == '^' {
            continue;
        }
        let c = if is_dash(c) { '-' } else { c };
        if c.is_whitespace() && !quoted {
            if !token.is_empty() {
                push_token(&token, &mut out);
                token.clear();
            }
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        if c == '"' {
            quoted = !quoted;
        }
        token.push(c);
    }
    if !token.is_empty() {
        push_token(&token, &mut out);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A token whose only quotes enclose it whole keeps them; every other quote
/// is removed. Whitespace inside is folded to single spaces.
fn push_token(tok: &str, out: &mut String) {
    let quotes = tok.bytes().filter(|&b| b == b'"').count();
    let enclosed = tok.len() >= 2 && quotes == 2 && tok.starts_with('"') && tok.ends_with('"');
    for c in tok.chars() {
        if c == '"' && !enclosed {
            continue;
        }
        if c.is_whitespace() {
            // Folded with whatever space came before, inside or outside.
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
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

/// The steps after cleaning: variables expanded, option prefixes unified,
/// lowercase. Repeated to a fixed point (at most a few rounds: expansion can
/// only shorten the text of `%` pairs) so that the form is idempotent.
fn finish(cleaned: &str, token_start: bool) -> String {
    let mut cur = finish_once(cleaned, token_start);
    // Without variables one pass is a fixed point already.
    if !cleaned.contains('%') {
        return cur;
    }
    for _ in 0..4 {
        let next = finish_once(&cur, token_start);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn finish_once(s: &str, token_start: bool) -> String {
    let expanded = expand_env(s);
    let mut out = String::with_capacity(expanded.len());
    let mut at_start = token_start;
    let mut rest: &str = &expanded;
    while let Some(c) = rest.chars().next() {
        if c == ' ' {
            out.push(' ');
            at_start = true;
            rest = &rest[1..];
            continue;
        }
        let end = rest.find(' ').unwrap_or(rest.len());
        let token = &rest[..end];
        if at_start && is_slash_option(token) {
            out.push('-');
            push_lower(&token[1..], &mut out);
        } else {
            push_lower(token, &mut out);
        }
        at_start = false;
        rest = &rest[end..];
    }
    out
}

fn push_lower(s: &str, out: &mut String) {
    if s.is_ascii() {
        let from = out.len();
        out.push_str(s);
        out[from..].make_ascii_lowercase();
    } else {
        out.extend(s.chars().flat_map(char::to_lowercase));
    }
}

/// `/c`, `/user:bob`, `/i:http://x/y.sct`; not `/windows/x` or `/tmp/a.sh`.
fn is_slash_option(token: &str) -> bool {
    let Some(rest) = token.strip_prefix('/') else {
        return false;
    };
    let name = rest.split([':', '=']).next().unwrap_or("");
    !name.is_empty() && !name.contains(['/', '\\', '.', '"'])
}

/// Expands `%NAME%` for the names in [`ENV`], case-insensitively.
fn expand_env(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('%') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 32);
    let mut rest = s;
    while let Some(p) = rest.find('%') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let value = after.find('%').and_then(|q| {
            let name = &after[..q];
            ENV.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| (*v, q))
        });
        match value {
            Some((v, q)) => {
                out.push_str(v);
                rest = &after[q + 1..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obfuscations_collapse() {
        let n = |s: &str| command_line(s).normal;
        assert_eq!(n("c^e^r^t^u^t^i^l  /urlcache"), "certutil -urlcache");
        assert_eq!(n("\"cert\"util.exe -f"), "certutil.exe -f");
        assert_eq!(
            n("\"C:\\Program Files\\x.exe\" /c"),
            "\"c:\\program files\\x.exe\" -c"
        );
        assert_eq!(n("%COMSPEC% /c whoami"), "c:\\windows\\system32\\cmd.exe -c whoami");
        assert_eq!(n("net\u{200B}1 use \u{2013}user"), "net1 use -user");
        assert_eq!(n("ls /windows/x"), "ls /windows/x");
        assert_eq!(pattern("/user:"), "-user:");
        assert_eq!(pattern(" /c "), " -c ");
        assert_eq!(pattern("\\cmd.exe /c"), "\\cmd.exe -c");
    }

    #[test]
    fn plain_lines_take_the_fast_path_to_the_same_result() {
        for s in ["cmd.exe -c whoami", "Get-Service spooler", "a b c"] {
            assert_eq!(command_line(s).normal, finish(&clean(s), true));
        }
    }
}
