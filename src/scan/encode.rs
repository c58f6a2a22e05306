//! The forms a leaked value takes: raw, base64 (every alignment), base64url,
//! URL-encoding, hex, JSON- and YAML-escaped. Pure: bytes in, patterns out.
//!
//! Base64 of a value depends on where the value starts inside the encoded
//! data (offset mod 3); for each alignment only the characters made entirely
//! of the value's own bits are kept, so the pattern is found whatever
//! surrounds the value.

use serde::Serialize;
use zeroize::Zeroizing;

/// How a value was written where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Raw,
    Base64,
    Base64url,
    UrlEncoded,
    Hex,
    JsonEscaped,
    YamlEscaped,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Raw => "raw",
            Encoding::Base64 => "base64",
            Encoding::Base64url => "base64url",
            Encoding::UrlEncoded => "url-encoded",
            Encoding::Hex => "hex",
            Encoding::JsonEscaped => "json-escaped",
            Encoding::YamlEscaped => "yaml-escaped",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Every pattern that betrays `value`, each with its encoding; a pattern equal
/// to an earlier one (an alphanumeric value is its own URL-encoding) is left out.
pub fn patterns(value: &[u8]) -> Vec<(Encoding, Zeroizing<Vec<u8>>)> {
    let mut out: Vec<(Encoding, Zeroizing<Vec<u8>>)> = Vec::new();
    let mut push = |encoding, pattern: Zeroizing<Vec<u8>>| {
        if !pattern.is_empty() && !out.iter().any(|(_, p)| **p == *pattern) {
            out.push((encoding, pattern));
        }
    };
    push(Encoding::Raw, Zeroizing::new(value.to_vec()));
    for offset in 0..3 {
        push(Encoding::Base64, base64_core(value, offset, B64));
    }
    for offset in 0..3 {
        push(Encoding::Base64url, base64_core(value, offset, B64URL));
    }
    push(
        Encoding::UrlEncoded,
        url_encoded(value, b"0123456789ABCDEF"),
    );
    push(
        Encoding::UrlEncoded,
        url_encoded(value, b"0123456789abcdef"),
    );
    push(Encoding::Hex, hex(value, b"0123456789abcdef"));
    push(Encoding::Hex, hex(value, b"0123456789ABCDEF"));
    if let Ok(text) = std::str::from_utf8(value) {
        for (slash, ascii) in [(false, false), (true, false), (false, true), (true, true)] {
            push(Encoding::JsonEscaped, json_escaped(text, slash, ascii));
        }
        push(Encoding::YamlEscaped, yaml_escaped(text, false));
        push(Encoding::YamlEscaped, yaml_escaped(text, true));
    }
    out
}

/// The base64 characters of `value` placed `offset` bytes into a 3-byte group:
/// only the characters whose six bits all come from `value`.
fn base64_core(value: &[u8], offset: usize, alphabet: &[u8; 64]) -> Zeroizing<Vec<u8>> {
    let start_bit = offset * 8;
    let end_bit = start_bit + value.len() * 8;
    let bit = |i: usize| -> u8 {
        let byte = value[(i - start_bit) / 8];
        (byte >> (7 - (i - start_bit) % 8)) & 1
    };
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 4 / 3 + 1));
    let first_char = start_bit.div_ceil(6);
    let mut c = first_char;
    while (c + 1) * 6 <= end_bit {
        let mut index = 0u8;
        for i in c * 6..c * 6 + 6 {
            index = (index << 1) | bit(i);
        }
        out.push(alphabet[usize::from(index)]);
        c += 1;
    }
    out
}

fn url_encoded(value: &[u8], digits: &[u8; 16]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 3));
    for &b in value {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[
                b'%',
                digits[usize::from(b >> 4)],
                digits[usize::from(b & 15)],
            ]);
        }
    }
    out
}

fn hex(value: &[u8], digits: &[u8; 16]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 2));
    for &b in value {
        out.extend_from_slice(&[digits[usize::from(b >> 4)], digits[usize::from(b & 15)]]);
    }
    out
}

/// As a JSON string body; `slash` also escapes `/` (PHP and some loggers
/// do), `ascii` escapes every non-ASCII character as `\uXXXX` (Python's
/// `json.dumps` default).
fn json_escaped(text: &str, slash: bool, ascii: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(String::with_capacity(text.len() + 8));
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    Zeroizing::new(std::mem::take(&mut *out).into_bytes())
}

/// As the body of a YAML double-quoted scalar; `ascii` escapes non-ASCII as
/// PyYAML does without `allow_unicode` (`\xE9`, `\u20AC`, `\U0001F600`).
fn yaml_escaped(text: &str, ascii: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(String::with_capacity(text.len() + 8));
    for ch in text.chars() {
        let code = ch as u32;
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if code < 0x20 || (ascii && !c.is_ascii()) => out.push_str(&match code {
                0..=0xFF => format!("\\x{code:02X}"),
                0x100..=0xFFFF => format!("\\u{code:04X}"),
                _ => format!("\\U{code:08X}"),
            }),
            c => out.push(c),
        }
    }
    Zeroizing::new(std::mem::take(&mut *out).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_b64(data: &[u8]) -> String {
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
        out
    }

    #[test]
    fn base64_patterns_are_found_at_every_alignment() {
        let value = b"s3cr3t-Pa55word/+?";
        let pats = patterns(value);
        for prefix in ["", "a", "ab", "abc", "abcd"] {
            for suffix in ["", "x", "xy"] {
                let data = [prefix.as_bytes(), value, suffix.as_bytes()].concat();
                let encoded = std_b64(&data);
                assert!(
                    pats.iter().any(|(e, p)| *e == Encoding::Base64
                        && encoded.as_bytes().windows(p.len()).any(|w| w == &p[..])),
                    "prefix {prefix:?} suffix {suffix:?}"
                );
            }
        }
    }

    #[test]
    fn an_alphanumeric_value_has_no_duplicate_patterns() {
        let pats = patterns(b"abcdefgh1234");
        let encodings: Vec<Encoding> = pats.iter().map(|(e, _)| *e).collect();
        assert!(!encodings.contains(&Encoding::UrlEncoded));
        assert!(!encodings.contains(&Encoding::JsonEscaped));
        assert!(encodings.contains(&Encoding::Hex));
    }

    #[test]
    fn escapes_and_url_encoding() {
        let pats = patterns(b"pa\"ss/wo rd\n");
        let has = |e: Encoding, s: &str| pats.iter().any(|(x, p)| *x == e && **p == *s.as_bytes());
        assert!(has(Encoding::JsonEscaped, "pa\\\"ss/wo rd\\n"));
        assert!(has(Encoding::JsonEscaped, "pa\\\"ss\\/wo rd\\n"));
        assert!(has(Encoding::UrlEncoded, "pa%22ss%2Fwo%20rd%0A"));
        assert!(has(Encoding::Hex, "70612273732f776f2072640a"));
    }

    #[test]
    fn non_ascii_escapes_as_python_writes_them() {
        let pats = patterns("geh\u{e9}im-\u{20ac}".as_bytes());
        let has = |e: Encoding, s: &str| pats.iter().any(|(x, p)| *x == e && **p == *s.as_bytes());
        assert!(has(Encoding::JsonEscaped, "geh\\u00e9im-\\u20ac"));
        assert!(has(Encoding::YamlEscaped, "geh\\xE9im-\\u20AC"));
    }
}
