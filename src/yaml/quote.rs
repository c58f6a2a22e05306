//! Writing new values: quoting strings so YAML 1.1 (PyYAML, Ansible) reads back exactly the
//! same string, and laying out `!vault |` blocks the way `ansible-vault encrypt_string` does.

use std::fmt::Write;

use zeroize::Zeroizing;

use super::resolve::{Resolved, resolve_plain};
use super::secret::SecretBuf;

/// Renders `s` as a one-line YAML scalar that YAML 1.1 reads back as the identical string.
///
/// Plain when that is unambiguous (`abc`, `db.example.com`, `https://x/y?z=1`); single-quoted
/// for other printable one-line text (`'yes'`, `'0755'`, `'a: b'`, `' x'`, `''`); double-quoted
/// with escapes when it holds a `'` (and no `"` or `\`), line breaks or non-printable characters.
pub fn quote_scalar(s: &str) -> String {
    quote_secret(s).to_string()
}

/// [`quote_scalar`] for values: every copy is wiped when dropped.
pub(crate) fn quote_secret(s: &str) -> Zeroizing<String> {
    if is_plain_safe(s) {
        Zeroizing::new(s.to_string())
    } else if s.chars().all(single_quotable) {
        if s.contains('\'') && !s.contains('"') && !s.contains('\\') {
            double_quote(s)
        } else {
            let mut out = SecretBuf::with_capacity(s.len() + 2 + s.matches('\'').count());
            out.push('\'');
            for c in s.chars() {
                if c == '\'' {
                    out.push('\'');
                }
                out.push(c);
            }
            out.push('\'');
            out.into_inner()
        }
    } else {
        double_quote(s)
    }
}

/// The lines under `key: !vault |`: every line of `vault_text` indented by `indent` spaces,
/// each ending in LF (as `encrypt_string` prints them; `Doc::apply` adapts the line ending).
pub fn format_vault_block(vault_text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out =
        String::with_capacity(vault_text.len() + vault_text.lines().count() * (indent + 1));
    for line in vault_text.lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Printable in PyYAML's sense and not a line break: may appear inside single quotes.
fn single_quotable(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{a1}'..='\u{2027}' | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
}

/// Conservative: plain only when no YAML 1.1 or 1.2 reader could take it for anything else
/// than this exact string.
fn is_plain_safe(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let first_ok = first.is_ascii_alphabetic()
        || first == b'_'
        || first == b'/'
        || first == b'$'
        || (first == b'.'
            && b.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_'));
    if !first_ok || b[b.len() - 1] == b' ' {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => true,
            b'_' | b'-' | b'.' | b'/' | b'+' | b'=' | b'@' | b'$' | b'%' | b'^' | b'~' | b'('
            | b')' | b'<' | b'>' | b';' | b'?' | b'&' | b'*' | b'!' | b'|' | b'\\' => true,
            b':' => b.get(i + 1).is_some_and(|n| *n != b' '),
            b' ' => b.get(i + 1).is_some_and(|n| *n != b' ' && *n != b'#'),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    let lower = Zeroizing::new(s.to_ascii_lowercase());
    if matches!(
        lower.as_str(),
        "y" | "n"
            | "yes"
            | "no"
            | "true"
            | "false"
            | "on"
            | "off"
            | "null"
            | "inf"
            | "nan"
            | "infinity"
            | ".inf"
            | ".nan"
    ) {
        return false;
    }
    resolve_plain(s) == Resolved::Str
}

fn double_quote(s: &str) -> Zeroizing<String> {
    let mut out = SecretBuf::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if single_quotable(c) => out.push(c),
            // The escapes hold the character: written straight into the wiped buffer.
            c if (c as u32) <= 0xff => write!(out, "\\x{:02X}", c as u32).unwrap_or(()),
            c if (c as u32) <= 0xffff => write!(out, "\\u{:04X}", c as u32).unwrap_or(()),
            c => write!(out, "\\U{:08X}", c as u32).unwrap_or(()),
        }
    }
    out.push('"');
    out.into_inner()
}

/// A multi-line string as a literal block: the header (`|` or `|-`) and the content lines
/// (without line endings), or `None` when a block cannot carry it exactly.
pub(crate) fn literal_block(s: &str) -> Option<(&'static str, Vec<&str>)> {
    if !s.contains('\n') || s.starts_with([' ', '\n', '\t']) {
        return None;
    }
    if !s.chars().all(|c| c == '\n' || single_quotable(c)) {
        return None;
    }
    let (header, body) = match s.strip_suffix('\n') {
        Some(rest) if rest.ends_with('\n') => return None, // would need `|+`
        Some(rest) => ("|", rest),
        None => ("|-", s),
    };
    // A line holding only blanks would be folded into a line break on read.
    let lines: Vec<&str> = body.split('\n').collect();
    if lines
        .iter()
        .any(|l| !l.is_empty() && l.trim_matches([' ', '\t']).is_empty())
    {
        return None;
    }
    if lines.last().is_some_and(|l| l.is_empty()) {
        return None;
    }
    Some((header, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_when_safe() {
        for s in [
            "abc",
            "db.example.com",
            "https://x.example/y?z=1&w",
            "hello world",
            "a-b_c",
            "/etc/x",
            "$HOME",
            "x:y",
            "CamelCase",
            ".hidden",
        ] {
            assert_eq!(quote_scalar(s), s, "{s}");
        }
    }

    #[test]
    fn quoted_when_yaml_would_retype_it() {
        let cases = [
            ("yes", "'yes'"),
            ("No", "'No'"),
            ("on", "'on'"),
            ("y", "'y'"),
            ("n", "'n'"),
            ("true", "'true'"),
            ("null", "'null'"),
            ("~", "'~'"),
            ("0755", "'0755'"),
            ("0x1F", "'0x1F'"),
            ("1e3", "'1e3'"),
            ("1_000", "'1_000'"),
            (".inf", "'.inf'"),
            ("12:30", "'12:30'"),
            ("2026-01-01", "'2026-01-01'"),
            ("*x", "'*x'"),
            ("&a", "'&a'"),
            ("!t", "'!t'"),
            ("@x", "'@x'"),
            ("`x", "'`x'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("- x", "'- x'"),
            ("? x", "'? x'"),
            ("%x", "'%x'"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("", "''"),
            ("it's", "\"it's\""),
            ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", "'both '' and \"'"),
            ("a\nb", "\"a\\nb\""),
            ("bell\x07", "\"bell\\a\""),
            ("nul\0", "\"nul\\0\""),
            ("\u{1}", "\"\\x01\""),
            ("\u{2028}", "\"\\L\""),
            ("-", "'-'"),
            ("<<", "'<<'"),
            ("=", "'='"),
            ("...", "'...'"),
            ("a,b", "'a,b'"),
            ("[x]", "'[x]'"),
            ("é", "'é'"),
            ("x:", "'x:'"),
            ("Infinity", "'Infinity'"),
        ];
        for (s, want) in cases {
            assert_eq!(quote_scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn vault_block_layout() {
        let t = "$ANSIBLE_VAULT;1.1;AES256\n6162\n6364\n";
        assert_eq!(
            format_vault_block(t, 10),
            "          $ANSIBLE_VAULT;1.1;AES256\n          6162\n          6364\n"
        );
        assert_eq!(
            format_vault_block("$ANSIBLE_VAULT;1.1;AES256\n61", 2),
            "  $ANSIBLE_VAULT;1.1;AES256\n  61\n"
        );
    }

    #[test]
    fn literal_blocks() {
        assert_eq!(literal_block("a\nb\n"), Some(("|", vec!["a", "b"])));
        assert_eq!(literal_block("a\n\nb"), Some(("|-", vec!["a", "", "b"])));
        assert_eq!(literal_block("a\n\n"), None);
        assert_eq!(literal_block(" a\nb"), None);
        assert_eq!(literal_block("a\n  \nb"), None);
        assert_eq!(literal_block("one line"), None);
    }
}
