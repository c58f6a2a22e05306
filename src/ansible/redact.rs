//! Scrubbing secret values out of what child processes print: every value,
//! raw and in the encodings a playbook prints it in, replaced by `<redacted>`,
//! streaming (a value split across reads or lines is still caught).
//!
//! The encodings are the ones Ansible and its filters produce: JSON string
//! escaping (the `debug` callback prints JSON; `to_json` escapes non-ASCII as
//! `\uXXXX`), JSON escaped twice (`to_json` output shown by `debug`), Python
//! `repr` escaping, URL encoding (`urlencode` keeps `/`, `quote` may not;
//! either hex case, `+` for spaces), and base64 (`b64encode`) at each of the
//! three alignments a value can have inside a longer base64 text, standard
//! and URL-safe alphabets. Values shorter than [`MIN_REDACTED_LEN`] bytes are
//! not scrubbed: masking every occurrence of a short string would mangle the
//! output and still not hide a value that short.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use zeroize::Zeroizing;

/// What a scrubbed value is replaced with.
pub const MASK: &[u8] = b"<redacted>";

pub use crate::manifest::MIN_REDACTED_LEN;

/// The patterns of a set of values, compiled once per command or step.
///
/// The automaton's tables hold the patterns and are not zeroed on drop
/// (aho-corasick owns that memory); the sorted copy kept here is.
pub struct Redactor {
    automaton: Option<AhoCorasick>,
    /// Every pattern, sorted: finds whether a held tail can still become one.
    sorted: Vec<Zeroizing<Vec<u8>>>,
    longest: usize,
}

impl Redactor {
    /// Scrubs `values` (vault passwords, decrypted values) in every encoding.
    pub fn new<'v>(values: impl IntoIterator<Item = &'v [u8]>) -> Redactor {
        let mut sorted: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for value in values {
            if value.len() >= MIN_REDACTED_LEN {
                sorted.extend(encodings(value));
            }
        }
        sorted.retain(|p| !p.is_empty());
        sorted.sort_unstable_by(|a, b| a[..].cmp(&b[..]));
        sorted.dedup_by(|a, b| a[..] == b[..]);
        let longest = sorted.iter().map(|p| p.len()).max().unwrap_or(0);
        let automaton = if sorted.is_empty() {
            None
        } else {
            // Leftmost-longest: a value that contains another is masked whole.
            // A contiguous NFA, never a DFA: a DFA over a few long values
            // (a 3,000-character key in nine encodings) took half a second
            // to build, for every step of a rotation.
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(sorted.iter().map(|p| &p[..]))
                .ok()
        };
        Redactor {
            automaton,
            sorted,
            longest,
        }
    }

    /// How many patterns (values times their encodings) are scrubbed.
    pub fn pattern_count(&self) -> usize {
        self.sorted.len()
    }

    /// A scrubber for one output stream.
    pub fn stream(&self) -> Scrubber<'_> {
        Scrubber {
            redactor: self,
            pending: Zeroizing::new(Vec::new()),
        }
    }

    /// `bytes` scrubbed in one go (a captured stderr, an error text).
    pub fn scrub(&self, bytes: &[u8]) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
        let mut scrubber = self.stream();
        scrubber.feed(bytes, &mut |chunk| out.extend_from_slice(chunk));
        scrubber.finish(&mut |chunk| out.extend_from_slice(chunk));
        out
    }

    /// Whether `tail` could still grow into a pattern (or is one).
    fn could_start_pattern(&self, tail: &[u8]) -> bool {
        let at = self.sorted.partition_point(|p| p[..] < *tail);
        self.sorted.get(at).is_some_and(|p| p.starts_with(tail))
    }
}

/// Scrubs one stream as it arrives. Bytes that might be the start of a value
/// are held back until the next read decides (or [`Scrubber::finish`]); all
/// others go out at once, so output stays live.
pub struct Scrubber<'r> {
    redactor: &'r Redactor,
    /// Raw bytes not yet emitted: at most the longest pattern, less one.
    pending: Zeroizing<Vec<u8>>,
}

impl Scrubber<'_> {
    /// Takes the next bytes of the stream; calls `emit` with scrubbed output.
    pub fn feed(&mut self, data: &[u8], emit: &mut dyn FnMut(&[u8])) {
        if self.redactor.automaton.is_none() {
            emit(data);
            return;
        }
        self.pending.extend_from_slice(data);
        self.drain(false, emit);
    }

    /// The end of the stream: emits what was held back, scrubbed.
    pub fn finish(mut self, emit: &mut dyn FnMut(&[u8])) {
        self.drain(true, emit);
    }

    fn drain(&mut self, at_end: bool, emit: &mut dyn FnMut(&[u8])) {
        let Some(automaton) = &self.redactor.automaton else {
            emit(&self.pending);
            self.pending.clear();
            return;
        };
        let buf = &self.pending[..];
        let mut cursor = 0;
        let mut hold = self.hold_from(buf, cursor, at_end);
        loop {
            match automaton.find(&buf[cursor..]) {
                // A match starting before the held tail is final: every
                // pattern that could start there fits in what we have.
                Some(found) if cursor + found.start() < hold => {
                    emit(&buf[cursor..cursor + found.start()]);
                    emit(MASK);
                    cursor += found.end();
                    if cursor > hold {
                        hold = self.hold_from(buf, cursor, at_end);
                    }
                }
                _ => {
                    emit(&buf[cursor..hold]);
                    cursor = hold;
                    break;
                }
            }
        }
        self.pending.drain(..cursor);
    }

    /// The first position at or after `from` whose rest of `buf` could be
    /// the start of a pattern: everything from there is held back.
    fn hold_from(&self, buf: &[u8], from: usize, at_end: bool) -> usize {
        if at_end {
            return buf.len();
        }
        let window = buf
            .len()
            .saturating_sub(self.redactor.longest.saturating_sub(1));
        (from.max(window)..buf.len())
            .find(|&i| self.redactor.could_start_pattern(&buf[i..]))
            .unwrap_or(buf.len())
    }
}

/// `value` and the forms a playbook may print it in (duplicates allowed).
fn encodings(value: &[u8]) -> Vec<Zeroizing<Vec<u8>>> {
    let mut out = vec![Zeroizing::new(value.to_vec())];
    if let Ok(text) = std::str::from_utf8(value) {
        for ascii_only in [false, true] {
            for upper_hex in [false, true] {
                let once = json_escaped(text, ascii_only, upper_hex);
                let twice = json_escaped(&once, ascii_only, upper_hex);
                out.push(Zeroizing::new(once.as_bytes().to_vec()));
                out.push(Zeroizing::new(twice.as_bytes().to_vec()));
                drop(Zeroizing::new(once));
                drop(Zeroizing::new(twice));
            }
        }
        for escape_quote in [false, true] {
            out.push(Zeroizing::new(python_repr_body(text, escape_quote)));
        }
    }
    for keep_slash in [false, true] {
        for upper_hex in [false, true] {
            for plus_for_space in [false, true] {
                out.push(Zeroizing::new(url_encoded(
                    value,
                    keep_slash,
                    upper_hex,
                    plus_for_space,
                )));
            }
        }
    }
    for alphabet in [BASE64_STANDARD, BASE64_URL_SAFE] {
        for offset in 0..3 {
            out.push(base64_core(value, offset, alphabet));
        }
    }
    out
}

/// The body of a JSON string as Python's `json.dumps` writes it
/// (`ensure_ascii` escapes every non-ASCII character, as `to_json` does).
fn json_escaped(text: &str, ascii_only: bool, upper_hex: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let hex = |out: &mut String, unit: u16| {
        if upper_hex {
            out.push_str(&format!("\\u{unit:04X}"));
        } else {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    };
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => hex(&mut out, c as u16),
            c if ascii_only && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    hex(&mut out, *unit);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The inside of a Python `repr()` of the string (quotes not included).
fn python_repr_body(text: &str, escape_quote: bool) -> Vec<u8> {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' if escape_quote => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.into_bytes()
}

/// Percent-encoding of every byte but `A-Z a-z 0-9 _ . - ~` (and `/` when kept).
fn url_encoded(value: &[u8], keep_slash: bool, upper_hex: bool, plus_for_space: bool) -> Vec<u8> {
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let digits = if upper_hex { UPPER } else { LOWER };
    let mut out = Vec::with_capacity(value.len() * 3);
    for &b in value {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b),
            b'/' if keep_slash => out.push(b),
            b' ' if plus_for_space => out.push(b'+'),
            b => out.extend_from_slice(&[
                b'%',
                digits[usize::from(b >> 4)],
                digits[usize::from(b & 15)],
            ]),
        }
    }
    out
}

const BASE64_STANDARD: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL_SAFE: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that depend only on `value` when it sits `offset`
/// bytes (0, 1 or 2) into a longer encoded text: whatever comes before or
/// after it, these characters appear.
fn base64_core(value: &[u8], offset: usize, alphabet: &[u8; 64]) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(vec![0u8; offset]);
    bytes.extend_from_slice(value);
    bytes.extend_from_slice(&[0, 0]);
    let bits = |i: usize| -> u8 {
        // The 6 bits starting at bit 6*i of `bytes`.
        let bit = 6 * i;
        let (byte, shift) = (bit / 8, bit % 8);
        let word = (u16::from(bytes[byte]) << 8) | u16::from(bytes[byte + 1]);
        ((word >> (10 - shift)) & 0x3f) as u8
    };
    // Characters whose 6 bits all fall inside the value.
    let first = (8 * offset).div_ceil(6);
    let end = 8 * (offset + value.len()) / 6;
    Zeroizing::new(
        (first..end)
            .map(|i| alphabet[usize::from(bits(i))])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b64(data: &[u8]) -> String {
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let mut block = [0u8; 3];
            block[..chunk.len()].copy_from_slice(chunk);
            let n = (u32::from(block[0]) << 16) | (u32::from(block[1]) << 8) | u32::from(block[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(BASE64_STANDARD[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn scrub_text(redactor: &Redactor, text: &str) -> String {
        String::from_utf8(redactor.scrub(text.as_bytes()).to_vec()).unwrap()
    }

    /// Feeds `text` in pieces of `size` bytes, as reads of a pipe would.
    fn scrub_in_pieces(redactor: &Redactor, text: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut scrubber = redactor.stream();
        for piece in text.chunks(size) {
            scrubber.feed(piece, &mut |c| out.extend_from_slice(c));
        }
        scrubber.finish(&mut |c| out.extend_from_slice(c));
        out
    }

    #[test]
    fn masks_raw_values_and_the_longest_one_whole() {
        let r = Redactor::new([&b"s3cret-value"[..], b"s3cret-value-longer", b"ab"]);
        assert_eq!(
            scrub_text(&r, "x s3cret-value y s3cret-value-longer ab\n"),
            "x <redacted> y <redacted> ab\n"
        );
    }

    #[test]
    fn masks_the_encodings_ansible_prints() {
        let value = "pa\"ss\\wörd/+ x\n1";
        let r = Redactor::new([value.as_bytes()]);
        let json = serde_json::to_string(value).unwrap();
        let json_body = &json[1..json.len() - 1];
        let shown = [
            format!("\"msg\": \"{json_body}\""),
            // to_json (ensure_ascii), then debug's own JSON escaping.
            "\"msg\": \"\\\"pa\\\\\\\"ss\\\\\\\\w\\\\u00f6rd/+ x\\\\n1\\\"\"".to_string(),
            format!("b64: {}", b64(value.as_bytes())),
            format!("b64+1: {}", b64(format!("x{value}").as_bytes())),
            format!("b64+2: {}", b64(format!("xy{value}z").as_bytes())),
            "url: pa%22ss%5Cw%C3%B6rd/%2B%20x%0A1".to_string(),
            "url: pa%22ss%5Cw%C3%B6rd%2F%2B+x%0A1".to_string(),
            "url: pa%22ss%5cw%c3%b6rd%2f%2b%20x%0a1".to_string(),
            "repr: 'pa\"ss\\\\wörd/+ x\\n1'".to_string(),
        ];
        for line in shown {
            let out = scrub_text(&r, &line);
            assert!(out.contains("<redacted>"), "not scrubbed: {line} -> {out}");
            assert!(
                !out.contains("wörd") && !out.contains("w\\u00f6rd"),
                "{out}"
            );
        }
    }

    #[test]
    fn base64_at_every_alignment_of_a_longer_text() {
        let value = b"Zk3-ProdToken";
        let r = Redactor::new([&value[..]]);
        for prefix in ["", "a", "ab", "abc", "user:"] {
            for suffix in ["", "!", "!!", "\n"] {
                let mut plain = prefix.as_bytes().to_vec();
                plain.extend_from_slice(value);
                plain.extend_from_slice(suffix.as_bytes());
                let encoded = b64(&plain);
                let out = scrub_text(&r, &encoded);
                assert!(
                    out.contains("<redacted>"),
                    "{prefix:?}{suffix:?}: {encoded}"
                );
            }
        }
    }

    #[test]
    fn short_values_are_left_alone() {
        let r = Redactor::new([&b"12345"[..]]);
        assert_eq!(r.pattern_count(), 0);
        assert_eq!(scrub_text(&r, "a 12345 b"), "a 12345 b");
    }

    #[test]
    fn output_is_not_held_back_unless_it_may_start_a_value() {
        let r = Redactor::new([&b"hunter2-secret"[..]]);
        let mut out = Vec::new();
        let mut scrubber = r.stream();
        scrubber.feed(b"TASK [deploy] ****\n", &mut |c| out.extend_from_slice(c));
        assert_eq!(out, b"TASK [deploy] ****\n");
        scrubber.feed(b"ok: hunter2-se", &mut |c| out.extend_from_slice(c));
        assert_eq!(out, b"TASK [deploy] ****\nok: ");
        scrubber.feed(b"cret done", &mut |c| out.extend_from_slice(c));
        scrubber.finish(&mut |c| out.extend_from_slice(c));
        assert_eq!(out, b"TASK [deploy] ****\nok: <redacted> done");
    }

    proptest! {
        /// However the stream is cut into reads, the output is the same as
        /// scrubbing it whole, and no value survives.
        #[test]
        fn streaming_equals_scrubbing_whole(
            values in proptest::collection::vec("[a-c]{6,9}", 1..4),
            filler in proptest::collection::vec(0usize..4, 0..40),
            size in 1usize..16,
        ) {
            let r = Redactor::new(values.iter().map(|v| v.as_bytes()));
            let mut text = Vec::new();
            for (i, pick) in filler.iter().enumerate() {
                match pick {
                    0 => text.extend_from_slice(values[i % values.len()].as_bytes()),
                    1 => text.extend_from_slice(b"\n"),
                    2 => text.extend_from_slice(b"ab"),
                    _ => text.extend_from_slice(b"c x "),
                }
            }
            let whole = r.scrub(&text);
            let pieces = scrub_in_pieces(&r, &text, size);
            prop_assert_eq!(&whole[..], &pieces[..]);
            for v in &values {
                prop_assert!(!pieces.windows(v.len()).any(|w| w == v.as_bytes()));
            }
        }
    }
}
