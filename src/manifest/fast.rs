//! A fast reader for the plain block-style YAML manifests are written in,
//! so that `check-age` on 10,000 secrets stays well under 50 ms.
//!
//! It reads a strict subset (block mappings and sequences, one-line flow
//! collections, plain and simple quoted scalars, comments) and gives up —
//! returning `None` — on anything else: anchors, tags, block scalars,
//! multi-line scalars, unknown fields, duplicate keys, any doubt about how
//! YAML 1.1 types a value. The caller then reads the file with serde-saphyr,
//! whose result (and error message) is the reference; tests check that both
//! readers agree wherever this one answers.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::model::Pos;
use super::raw::{
    OrderedMap, RawDefaults, RawFile, RawGenerate, RawHistory, RawManifest, RawOwner, RawPolicy,
    RawRotation, RawSecret, RawStep, RawVerify, RawVerifySkip, Sp, Tags,
};

/// Flow collections (`[..]`, `{..}`) nested deeper than this go to serde-saphyr,
/// whose depth budget refuses them with a positioned error: this reader
/// recurses per level, and a hostile manifest nests thousands deep.
const MAX_FLOW_DEPTH: usize = 32;
/// Block content starting further right than this column (indentation and
/// `- ` prefixes: a bound on block nesting) goes to serde-saphyr too.
const MAX_BLOCK_COLUMN: usize = 96;
/// Longer lines go to serde-saphyr: positions on a non-ASCII line are counted
/// from its start, which a line of thousands of flow items makes quadratic.
const MAX_LINE_BYTES: usize = 4096;

/// Reads manifest text, or `None` when serde-saphyr must decide.
pub(super) fn read(text: &str) -> Option<RawFile> {
    if flow_depth_exceeds(text, MAX_FLOW_DEPTH) || beyond_block_limits(text) {
        return None;
    }
    let mut reader = Reader::new(text)?;
    let first = reader.lines.first()?;
    if first.start != 0 || first.is_seq_entry() {
        return None;
    }
    let mut manifest = None;
    reader.map_each(0, |reader, key, at| match key.text.as_ref() {
        "secrets_manifest" => {
            manifest = Some(raw_manifest(reader, at)?);
            Some(())
        }
        _ => None,
    })?;
    (reader.i == reader.lines.len()).then_some(())?;
    Some(RawFile {
        secrets_manifest: manifest?,
    })
}

/// Whether brackets nest deeper than `limit` anywhere in `text`. Brackets in
/// quotes and comments count too: an over-count only sends the text to the
/// slower reader, never a wrong answer.
fn flow_depth_exceeds(text: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => depth = 0,
            _ => {}
        }
    }
    false
}

/// Whether a line is longer than [`MAX_LINE_BYTES`] or its content starts
/// past [`MAX_BLOCK_COLUMN`].
fn beyond_block_limits(text: &str) -> bool {
    text.split('\n').any(|line| {
        let b = line.as_bytes();
        let mut at = 0;
        while at < b.len() && at <= MAX_BLOCK_COLUMN {
            match (b[at], b.get(at + 1)) {
                (b' ', _) => at += 1,
                (b'-', Some(b' ')) => at += 2,
                _ => break,
            }
        }
        line.len() > MAX_LINE_BYTES || at > MAX_BLOCK_COLUMN
    })
}

#[derive(Debug)]
enum Node<'a> {
    Null,
    Scalar(Scalar<'a>),
    Map(Vec<(Scalar<'a>, Node<'a>)>, Pos),
    Seq(Vec<Node<'a>>),
}

#[derive(Debug)]
struct Scalar<'a> {
    text: Cow<'a, str>,
    plain: bool,
    pos: Pos,
}

impl Scalar<'_> {
    /// A plain `~`/`null`, which serde reads as `None`.
    fn is_null(&self) -> bool {
        self.plain && matches!(self.text.as_ref(), "~" | "null" | "Null" | "NULL")
    }
}

/// Where a mapping entry's value is: after the key on its line, or below it.
#[derive(Clone, Copy)]
enum ValueAt<'a> {
    Inline {
        line: Line<'a>,
        at: usize,
        /// The mapping's indentation.
        indent: usize,
    },
    Below {
        indent: usize,
    },
}

/// A non-blank, non-comment line; `start` is where its content begins
/// (moved past `- ` for the compact mapping of a sequence item).
#[derive(Clone, Copy)]
struct Line<'a> {
    no: u32,
    full: &'a str,
    start: usize,
    /// Columns count characters; on an ASCII line they are byte offsets.
    ascii: bool,
}

impl<'a> Line<'a> {
    fn rest(&self) -> &'a str {
        &self.full[self.start..]
    }

    fn is_seq_entry(&self) -> bool {
        let rest = self.rest();
        rest.starts_with("- ") || rest == "-"
    }

    fn pos(&self, offset: usize) -> Pos {
        let chars = if self.ascii {
            offset
        } else {
            self.full[..offset].chars().count()
        };
        Pos {
            line: self.no,
            column: u32::try_from(chars + 1).unwrap_or(u32::MAX),
        }
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    i: usize,
    /// Keys of the mappings being read, innermost last (duplicate check).
    names: Vec<Cow<'a, str>>,
}

fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

fn skip_spaces(s: &str, mut at: usize) -> usize {
    let b = s.as_bytes();
    while at < b.len() && b[at] == b' ' {
        at += 1;
    }
    at
}

/// The index of the first `\n`, `\r` or tab at or after `from` (or the
/// length), and whether the bytes before it are ASCII; eight bytes at a
/// time, as this scan touches every byte of the file.
fn line_end(bytes: &[u8], from: usize) -> (usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_byte = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let mut high = 0;
    let mut i = from;
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        if has_byte(word, b'\n') | has_byte(word, b'\r') | has_byte(word, b'\t') != 0 {
            break;
        }
        high |= word & HIGHS;
        i += 8;
    }
    while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r' | b'\t') {
        high |= u64::from(bytes[i] & 0x80);
        i += 1;
    }
    (i, high == 0)
}

/// After a value: only spaces, then nothing or a ` #comment`.
fn only_comment_after(s: &str, at: usize) -> bool {
    let next = skip_spaces(s, at);
    next == s.len() || (next > at && s.as_bytes()[next] == b'#')
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Option<Reader<'a>> {
        if text.starts_with('\u{feff}') {
            return None;
        }
        let bytes = text.as_bytes();
        let mut lines = Vec::with_capacity(text.len() / 16);
        let mut begin = 0;
        let mut index = 0;
        while begin <= bytes.len() {
            let (end, ascii) = line_end(bytes, begin);
            if end < bytes.len() && bytes[end] != b'\n' {
                return None;
            }
            let full = &text[begin..end];
            index += 1;
            begin = end + 1;
            let start = full.len() - full.trim_start_matches(' ').len();
            let rest = &full[start..];
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            if rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%') {
                if lines.is_empty() && rest.trim_end() == "---" && start == 0 {
                    continue;
                }
                return None;
            }
            lines.push(Line {
                no: u32::try_from(index).ok()?,
                full,
                start,
                ascii,
            });
        }
        Some(Reader {
            lines,
            i: 0,
            names: Vec::new(),
        })
    }

    fn block(&mut self, indent: usize) -> Option<Node<'a>> {
        if self.lines[self.i].is_seq_entry() {
            self.seq(indent)
        } else {
            self.map(indent)
        }
    }

    /// Walks the block mapping at `indent`, handing each key and where its
    /// value is to `each`, which must read the value (with [`Reader::value`]
    /// or a nested `map_each`). Returns the position of the first key.
    fn map_each(
        &mut self,
        indent: usize,
        mut each: impl FnMut(&mut Self, Scalar<'a>, ValueAt<'a>) -> Option<()>,
    ) -> Option<Pos> {
        let base = self.names.len();
        let mut first = None;
        while let Some(line) = self.lines.get(self.i).copied() {
            if line.start < indent {
                break;
            }
            if line.start > indent || line.is_seq_entry() {
                return None;
            }
            let (key, after) = key(&line)?;
            self.i += 1;
            first.get_or_insert(key.pos);
            self.names.push(key.text.clone());
            let at = if only_comment_after(line.full, after) {
                ValueAt::Below { indent }
            } else {
                ValueAt::Inline {
                    line,
                    at: skip_spaces(line.full, after),
                    indent,
                }
            };
            each(self, key, at)?;
        }
        if has_duplicates(&self.names[base..]) {
            return None;
        }
        self.names.truncate(base);
        first
    }

    /// The value of a mapping entry.
    fn value(&mut self, at: ValueAt<'a>) -> Option<Node<'a>> {
        match at {
            ValueAt::Inline { line, at, indent } => {
                let value = inline(&line, at)?;
                if self
                    .lines
                    .get(self.i)
                    .is_some_and(|next| next.start > indent)
                {
                    return None;
                }
                Some(value)
            }
            ValueAt::Below { indent } => match self.lines.get(self.i) {
                Some(next) if next.start > indent => self.block(next.start),
                Some(next) if next.start == indent && next.is_seq_entry() => self.seq(indent),
                _ => Some(Node::Null),
            },
        }
    }

    /// How many keys the block mapping at `indent` starting here has.
    fn keys_at(&self, indent: usize) -> usize {
        self.lines[self.i..]
            .iter()
            .take_while(|line| line.start >= indent)
            .filter(|line| line.start == indent)
            .count()
    }

    /// The indentation of a block mapping below a key, if that is what follows.
    fn map_below(&self, at: &ValueAt<'a>) -> Option<usize> {
        let ValueAt::Below { indent } = at else {
            return None;
        };
        let next = self.lines.get(self.i)?;
        (next.start > *indent && !next.is_seq_entry()).then_some(next.start)
    }

    fn map(&mut self, indent: usize) -> Option<Node<'a>> {
        let mut entries: Vec<(Scalar<'a>, Node<'a>)> = Vec::new();
        let pos = self.map_each(indent, |reader, key, at| {
            entries.push((key, reader.value(at)?));
            Some(())
        })?;
        Some(Node::Map(entries, pos))
    }

    fn seq(&mut self, indent: usize) -> Option<Node<'a>> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.i).copied() {
            if line.start < indent {
                break;
            }
            if line.start > indent {
                return None;
            }
            if !line.is_seq_entry() {
                break;
            }
            let after = line.start + 1;
            let item_at = skip_spaces(line.full, after);
            let item = if only_comment_after(line.full, after) {
                self.i += 1;
                match self.lines.get(self.i) {
                    Some(next) if next.start > indent => self.block(next.start)?,
                    _ => Node::Null,
                }
            } else {
                let inner = Line {
                    start: item_at,
                    ..line
                };
                if inner.is_seq_entry() {
                    self.lines[self.i] = inner;
                    self.seq(item_at)?
                } else if key(&inner).is_some() {
                    self.lines[self.i] = inner;
                    self.map(item_at)?
                } else {
                    self.i += 1;
                    let item = inline(&line, item_at)?;
                    if self
                        .lines
                        .get(self.i)
                        .is_some_and(|next| next.start > indent)
                    {
                        return None;
                    }
                    item
                }
            };
            items.push(item);
        }
        Some(Node::Seq(items))
    }
}

fn has_duplicates(names: &[Cow<'_, str>]) -> bool {
    if names.len() <= 16 {
        return names
            .iter()
            .enumerate()
            .any(|(i, a)| names[i + 1..].contains(a));
    }
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    !names.iter().all(|name| seen.insert(name.as_ref()))
}

/// A block mapping key at the line's content start; returns it and the
/// offset just after its `:`.
fn key<'a>(line: &Line<'a>) -> Option<(Scalar<'a>, usize)> {
    let s = line.full;
    let b = s.as_bytes();
    let start = line.start;
    let first = *b.get(start)?;
    if first == b'"' || first == b'\'' {
        let (scalar, end) = quoted(line, start)?;
        let colon_ok = b.get(end) == Some(&b':') && matches!(b.get(end + 1), None | Some(b' '));
        return colon_ok.then_some((scalar, end + 1));
    }
    if is_indicator(first) || s[start..].starts_with("<<") {
        return None;
    }
    let mut j = start;
    loop {
        j += b[j..].iter().position(|&c| c == b':' || c == b'#')?;
        match b[j] {
            b':' if matches!(b.get(j + 1), None | Some(b' ')) => {
                let text = s[start..j].trim_end_matches(' ');
                let scalar = Scalar {
                    text: Cow::Borrowed(text),
                    plain: true,
                    pos: line.pos(start),
                };
                return Some((scalar, j + 1));
            }
            b'#' if b[j - 1] == b' ' => return None,
            _ => j += 1,
        }
    }
}

/// A quoted scalar on one line starting at `at`; returns it and the offset
/// after the closing quote.
fn quoted<'a>(line: &Line<'a>, at: usize) -> Option<(Scalar<'a>, usize)> {
    let s = line.full;
    let quote = s.as_bytes()[at];
    let body_start = at + 1;
    let pos = line.pos(at);
    if quote == b'"' {
        let close = body_start + s[body_start..].find('"')?;
        let body = &s[body_start..close];
        if body.contains('\\') {
            return None;
        }
        let scalar = Scalar {
            text: Cow::Borrowed(body),
            plain: false,
            pos,
        };
        return Some((scalar, close + 1));
    }
    let mut text = String::new();
    let mut j = body_start;
    loop {
        let close = j + s[j..].find('\'')?;
        text.push_str(&s[j..close]);
        if s.as_bytes().get(close + 1) == Some(&b'\'') {
            text.push('\'');
            j = close + 2;
        } else {
            let scalar = Scalar {
                text: Cow::Owned(text),
                plain: false,
                pos,
            };
            return Some((scalar, close + 1));
        }
    }
}

/// A value on the key's (or the dash's) line: scalar or one-line flow collection.
fn inline<'a>(line: &Line<'a>, at: usize) -> Option<Node<'a>> {
    let s = line.full;
    let b = s.as_bytes();
    let (node, end) = match b[at] {
        b'{' | b'[' => flow(line, at)?,
        b'"' | b'\'' => {
            let (scalar, end) = quoted(line, at)?;
            (Node::Scalar(scalar), end)
        }
        c if is_indicator(c) => return None,
        _ => {
            // The scalar ends at a ` #` comment; a `: ` inside or a final
            // `:` would make it a mapping, which is not for this reader.
            let mut end = b.len();
            let mut j = at;
            while j < b.len() {
                match b[j] {
                    b'#' if b[j - 1] == b' ' => {
                        end = j;
                        break;
                    }
                    b':' if matches!(b.get(j + 1), None | Some(b' ')) => return None,
                    _ => j += 1,
                }
            }
            let text = s[at..end].trim_end_matches(' ');
            let scalar = Scalar {
                text: Cow::Borrowed(text),
                plain: true,
                pos: line.pos(at),
            };
            return Some(Node::Scalar(scalar));
        }
    };
    only_comment_after(s, end).then_some(node)
}

/// A flow collection that opens and closes on this line.
fn flow<'a>(line: &Line<'a>, at: usize) -> Option<(Node<'a>, usize)> {
    let s = line.full;
    let b = s.as_bytes();
    let open = b[at];
    let close = if open == b'{' { b'}' } else { b']' };
    let mut j = skip_spaces(s, at + 1);
    let mut entries = Vec::new();
    let mut items = Vec::new();
    loop {
        if *b.get(j)? == close {
            j += 1;
            break;
        }
        if open == b'{' {
            let (key, after_key) = flow_scalar(line, j, true)?;
            if b.get(after_key) != Some(&b':') || b.get(after_key + 1) != Some(&b' ') {
                return None;
            }
            j = skip_spaces(s, after_key + 1);
            let (value, after) = match *b.get(j)? {
                b',' | b'}' => (Node::Null, j),
                _ => flow_node(line, j)?,
            };
            entries.push((key, value));
            j = skip_spaces(s, after);
        } else {
            let (item, after) = flow_node(line, j)?;
            items.push(item);
            j = skip_spaces(s, after);
        }
        match *b.get(j)? {
            b',' => j = skip_spaces(s, j + 1),
            c if c == close => {}
            _ => return None,
        }
    }
    if open == b'{' {
        let pos = line.pos(at);
        let names: Vec<Cow<'a, str>> = entries.iter().map(|(k, _)| k.text.clone()).collect();
        if has_duplicates(&names) {
            return None;
        }
        Some((Node::Map(entries, pos), j))
    } else {
        Some((Node::Seq(items), j))
    }
}

fn flow_node<'a>(line: &Line<'a>, at: usize) -> Option<(Node<'a>, usize)> {
    match line.full.as_bytes()[at] {
        b'{' | b'[' => flow(line, at),
        _ => {
            let (scalar, end) = flow_scalar(line, at, false)?;
            Some((Node::Scalar(scalar), end))
        }
    }
}

/// A scalar inside a flow collection: quoted, or plain up to `,` `]` `}`
/// (and, for a key, up to `: `).
fn flow_scalar<'a>(line: &Line<'a>, at: usize, is_key: bool) -> Option<(Scalar<'a>, usize)> {
    let s = line.full;
    let b = s.as_bytes();
    let first = *b.get(at)?;
    if first == b'"' || first == b'\'' {
        let (scalar, end) = quoted(line, at)?;
        return Some((scalar, skip_spaces(s, end)));
    }
    if is_indicator(first) {
        return None;
    }
    let mut j = at;
    while j < b.len() {
        match b[j] {
            b',' | b']' | b'}' | b'[' | b'{' => break,
            b':' => match b.get(j + 1) {
                Some(b' ') if is_key => break,
                None | Some(b' ' | b',' | b']' | b'}') => return None,
                _ => j += 1,
            },
            b'#' if b[j - 1] == b' ' => return None,
            _ => j += 1,
        }
    }
    if j == b.len() {
        return None;
    }
    let text = s[at..j].trim_end_matches(' ');
    let scalar = Scalar {
        text: Cow::Borrowed(text),
        plain: true,
        pos: line.pos(at),
    };
    Some((scalar, j))
}

// ----------------------------------------------- nodes to the manifest shape

fn is_null(node: &Node<'_>) -> bool {
    match node {
        Node::Null => true,
        Node::Scalar(s) => s.is_null(),
        _ => false,
    }
}

/// An optional field: null is `None`, anything else must convert.
fn opt<'a, T>(node: Node<'a>, convert: impl FnOnce(Node<'a>) -> Option<T>) -> Option<Option<T>> {
    if is_null(&node) {
        Some(None)
    } else {
        convert(node).map(Some)
    }
}

fn string(node: Node<'_>) -> Option<String> {
    match node {
        Node::Scalar(s) if !s.is_null() => Some(s.text.into_owned()),
        _ => None,
    }
}

fn sp_string(node: Node<'_>) -> Option<Sp<String>> {
    match node {
        Node::Scalar(s) if !s.is_null() => Some(Sp {
            pos: Some(s.pos),
            value: s.text.into_owned(),
        }),
        _ => None,
    }
}

fn sp_u32(node: Node<'_>) -> Option<Sp<u32>> {
    match node {
        Node::Scalar(s) if s.plain && is_decimal(&s.text) && !s.text.starts_with('-') => Some(Sp {
            value: s.text.parse().ok()?,
            pos: Some(s.pos),
        }),
        _ => None,
    }
}

fn sp_bool(node: Node<'_>) -> Option<Sp<bool>> {
    match node {
        Node::Scalar(s) if s.plain => {
            let value = match s.text.as_ref() {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            Some(Sp {
                value,
                pos: Some(s.pos),
            })
        }
        _ => None,
    }
}

/// `0` or a decimal without leading zeros, at most 18 digits.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

/// A plain scalar that YAML 1.1 can only read as a string: it starts with a
/// letter (numbers, dates and `.inf` do not) and is none of the words YAML
/// 1.1 reads as a boolean or null.
fn is_plain_string(text: &str) -> bool {
    let Some(first) = text.bytes().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "yes"
                | "n"
                | "no"
                | "true"
                | "false"
                | "on"
                | "off"
                | "null"
                | "inf"
                | "nan"
                | "infinity"
        )
}

/// A struct-like mapping: each entry goes to `field`, which refuses unknown names.
fn fields<'a>(node: Node<'a>, mut field: impl FnMut(&str, Node<'a>) -> Option<()>) -> Option<Pos> {
    let Node::Map(entries, pos) = node else {
        return None;
    };
    for (key, value) in entries {
        field(key.text.as_ref(), value)?;
    }
    Some(pos)
}

/// `secrets_manifest`, read entry by entry: each secret is converted as soon
/// as it is read, so no tree of the whole file is ever built.
fn raw_manifest<'a>(reader: &mut Reader<'a>, at: ValueAt<'a>) -> Option<Sp<RawManifest>> {
    let indent = reader.map_below(&at)?;
    let (mut version, mut defaults, mut policies, mut secrets) = (None, None, None, None);
    let mut owners = None;
    let pos = reader.map_each(indent, |reader, key, at| {
        match key.text.as_ref() {
            "version" => version = Some(sp_u32(reader.value(at)?)?),
            "defaults" => defaults = Some(opt(reader.value(at)?, raw_defaults)?),
            "policies" => policies = Some(opt(reader.value(at)?, |v| ordered(v, sp(raw_policy)))?),
            "secrets" => secrets = Some(raw_secrets(reader, at)?),
            "owners" => owners = Some(opt(reader.value(at)?, |v| ordered(v, sp(raw_owner)))?),
            _ => return None,
        }
        Some(())
    })?;
    Some(Sp {
        value: RawManifest {
            version: version?,
            defaults: defaults.flatten(),
            policies: policies.flatten(),
            secrets: secrets.flatten(),
            // A manifest with `vault_passwords:` is read by serde-saphyr (the
            // key is unknown here, so this reader gives up on it).
            vault_passwords: None,
            owners: owners.flatten(),
        },
        pos: Some(pos),
    })
}

fn raw_owner(node: Node<'_>) -> Option<RawOwner> {
    let mut raw = RawOwner::default();
    fields(node, |name, value| {
        match name {
            "notify" => raw.notify = opt(value, |v| list(v, sp(raw_step)))?,
            _ => return None,
        }
        Some(())
    })?;
    Some(raw)
}

type RawSecrets = OrderedMap<Option<Sp<RawSecret>>>;

fn raw_secrets<'a>(reader: &mut Reader<'a>, at: ValueAt<'a>) -> Option<Option<RawSecrets>> {
    let convert = |node| opt(node, sp(raw_secret));
    let Some(indent) = reader.map_below(&at) else {
        return opt(reader.value(at)?, |v| ordered(v, convert));
    };
    let mut secrets = Vec::with_capacity(reader.keys_at(indent));
    reader.map_each(indent, |reader, key, at| {
        if key.is_null() {
            return None;
        }
        let name = Sp {
            pos: Some(key.pos),
            value: key.text.into_owned(),
        };
        let secret = match reader.map_below(&at) {
            Some(indent) => {
                let mut raw = RawSecret::default();
                let pos = reader.map_each(indent, |reader, key, at| {
                    secret_field(&mut raw, &key.text, reader.value(at)?)
                })?;
                Some(Sp {
                    value: raw,
                    pos: Some(pos),
                })
            }
            None => convert(reader.value(at)?)?,
        };
        secrets.push((name, secret));
        Some(())
    })?;
    Some(Some(OrderedMap(secrets)))
}

/// A mapping converted into a struct, with the mapping's position.
fn sp<'a, T>(convert: impl Fn(Node<'a>) -> Option<T>) -> impl Fn(Node<'a>) -> Option<Sp<T>> {
    move |node| {
        let Node::Map(_, pos) = &node else {
            return None;
        };
        let pos = Some(*pos);
        Some(Sp {
            value: convert(node)?,
            pos,
        })
    }
}

fn ordered<'a, V>(
    node: Node<'a>,
    convert: impl Fn(Node<'a>) -> Option<V>,
) -> Option<OrderedMap<V>> {
    let Node::Map(entries, _) = node else {
        return None;
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if key.is_null() {
            return None;
        }
        let key = Sp {
            pos: Some(key.pos),
            value: key.text.into_owned(),
        };
        out.push((key, convert(value)?));
    }
    Some(OrderedMap(out))
}

fn list<'a, T>(node: Node<'a>, convert: impl Fn(Node<'a>) -> Option<T>) -> Option<Vec<T>> {
    let Node::Seq(items) = node else {
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(convert(item)?);
    }
    Some(out)
}

fn raw_defaults(node: Node<'_>) -> Option<RawDefaults> {
    let mut raw = RawDefaults::default();
    fields(node, |name, value| {
        let slot = match name {
            "vault" => &mut raw.vault,
            "inventory" => &mut raw.inventory,
            "changelog" => &mut raw.changelog,
            "warn_before" => &mut raw.warn_before,
            _ => return None,
        };
        *slot = opt(value, sp_string)?;
        Some(())
    })?;
    Some(raw)
}

fn raw_policy(node: Node<'_>) -> Option<RawPolicy> {
    let (mut max_age, mut warn_before, mut strategy, mut min_window) = (None, None, None, None);
    fields(node, |name, value| {
        match name {
            "max_age" => max_age = Some(sp_string(value)?),
            "warn_before" => warn_before = opt(value, sp_string)?,
            "strategy" => strategy = opt(value, sp_string)?,
            "min_window" => min_window = opt(value, sp_string)?,
            _ => return None,
        }
        Some(())
    })?;
    Some(RawPolicy {
        max_age: max_age?,
        warn_before,
        strategy,
        min_window,
        // `auto` is read by serde-saphyr: an `auto:` key makes this reader give up.
        auto: None,
    })
}

fn raw_secret(node: Node<'_>) -> Option<RawSecret> {
    let mut raw = RawSecret::default();
    fields(node, |name, value| secret_field(&mut raw, name, value))?;
    Some(raw)
}

fn secret_field(raw: &mut RawSecret, name: &str, value: Node<'_>) -> Option<()> {
    match name {
        "policy" => raw.policy = opt(value, sp_string)?,
        "max_age" => raw.max_age = opt(value, sp_string)?,
        "warn_before" => raw.warn_before = opt(value, sp_string)?,
        "strategy" => raw.strategy = opt(value, sp_string)?,
        "min_window" => raw.min_window = opt(value, sp_string)?,
        "last_rotation" => raw.last_rotation = opt(value, sp_string)?,
        "owner" => raw.owner = opt(value, string)?,
        "description" => raw.description = opt(value, string)?,
        "vault" => raw.vault = opt(value, sp_string)?,
        "generate" => raw.generate = opt(value, sp(raw_generate))?,
        "derived_from" => raw.derived_from = opt(value, sp_string)?,
        "deploy" => raw.deploy = opt(value, |v| list(v, sp(raw_step)))?,
        "verify" => raw.verify = opt(value, raw_verify)?,
        "revoke" => raw.revoke = opt(value, |v| list(v, sp(raw_step)))?,
        "notify" => raw.notify = opt(value, |v| list(v, sp(raw_step)))?,
        "rotation" => raw.rotation = opt(value, sp(raw_rotation))?,
        "history" => raw.history = opt(value, |v| list(v, sp(raw_history)))?,
        _ => return None,
    }
    Some(())
}

fn raw_generate(node: Node<'_>) -> Option<RawGenerate> {
    let mut raw = RawGenerate::default();
    fields(node, |name, value| {
        match name {
            "length" => raw.length = opt(value, sp_u32)?,
            "charset" => raw.charset = opt(value, sp_string)?,
            "exclude" => raw.exclude = opt(value, string)?,
            "external" => raw.external = opt(value, sp_bool)?,
            "command" => raw.command = opt(value, sp_string)?,
            "instructions" => raw.instructions = opt(value, sp_string)?,
            _ => return None,
        }
        Some(())
    })?;
    Some(raw)
}

fn raw_step(node: Node<'_>) -> Option<RawStep> {
    let mut raw = RawStep::default();
    fields(node, |name, value| {
        match name {
            "playbook" => raw.playbook = opt(value, sp_string)?,
            "inventory" => raw.inventory = opt(value, sp_string)?,
            "tags" => raw.tags = opt(value, tags)?,
            "limit" => raw.limit = opt(value, string)?,
            "extra_vars" => raw.extra_vars = opt(value, extra_vars)?,
            "run" => raw.run = opt(value, sp_string)?,
            "manual" => raw.manual = opt(value, sp_string)?,
            "retries" => raw.retries = opt(value, sp_u32)?,
            "delay" => raw.delay = opt(value, sp_string)?,
            _ => return None,
        }
        Some(())
    })?;
    Some(raw)
}

fn raw_verify(node: Node<'_>) -> Option<RawVerify> {
    match node {
        Node::Seq(_) => list(node, sp(raw_step)).map(RawVerify::Steps),
        Node::Map(..) => {
            let mut raw = RawVerifySkip::default();
            fields(node, |name, value| {
                match name {
                    "skip" => raw.skip = opt(value, sp_bool)?,
                    "reason" => raw.reason = opt(value, sp_string)?,
                    _ => return None,
                }
                Some(())
            })?;
            Some(RawVerify::Skip(Sp {
                value: raw,
                pos: None,
            }))
        }
        _ => None,
    }
}

fn tags(node: Node<'_>) -> Option<Tags> {
    match node {
        Node::Scalar(s) if !s.plain || is_plain_string(&s.text) => Some(Tags(
            s.text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
        )),
        Node::Seq(_) => list(node, string).map(Tags),
        _ => None,
    }
}

fn extra_vars(node: Node<'_>) -> Option<BTreeMap<String, serde_json::Value>> {
    let Node::Map(entries, _) = node else {
        return None;
    };
    let mut vars = BTreeMap::new();
    for (key, value) in entries {
        if key.is_null() {
            return None;
        }
        vars.insert(key.text.into_owned(), json(value)?);
    }
    Some(vars)
}

fn json(node: Node<'_>) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match node {
        Node::Null => Value::Null,
        Node::Scalar(s) if !s.plain => Value::String(s.text.into_owned()),
        Node::Scalar(s) if s.is_null() => Value::Null,
        Node::Scalar(s) => match s.text.as_ref() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            text if is_decimal(text) => Value::from(text.parse::<i64>().ok()?),
            text if is_plain_string(text) => Value::String(text.to_string()),
            _ => return None,
        },
        Node::Seq(items) => Value::Array(items.into_iter().map(json).collect::<Option<_>>()?),
        Node::Map(..) => Value::Object(extra_vars(node)?.into_iter().collect()),
    })
}

fn raw_rotation(node: Node<'_>) -> Option<RawRotation> {
    let (mut id, mut phase, mut started, mut by, mut group) = (None, None, None, None, None);
    let mut kind = None;
    let (mut old_fingerprint, mut new_fingerprint, mut reason, mut awaiting) =
        (None, None, None, None);
    fields(node, |name, value| {
        match name {
            "old_fingerprint" => old_fingerprint = opt(value, string)?,
            "new_fingerprint" => new_fingerprint = opt(value, string)?,
            "reason" => reason = opt(value, string)?,
            "awaiting" => awaiting = opt(value, string)?,
            "id" => id = Some(string(value)?),
            "kind" => kind = Some(sp_string(value)?),
            "phase" => phase = Some(sp_string(value)?),
            "started" => started = Some(sp_string(value)?),
            "by" => by = opt(value, string)?,
            "group" => group = opt(value, |v| list(v, string))?,
            _ => return None,
        }
        Some(())
    })?;
    Some(RawRotation {
        id: id?,
        phase: phase?,
        started: started?,
        by,
        group,
        kind,
        old_fingerprint,
        new_fingerprint,
        reason,
        awaiting,
    })
}

fn raw_history(node: Node<'_>) -> Option<RawHistory> {
    let (mut event, mut at, mut id, mut by, mut reason) = (None, None, None, None, None);
    fields(node, |name, value| {
        match name {
            "event" => event = Some(sp_string(value)?),
            "at" => at = Some(sp_string(value)?),
            "id" => id = opt(value, string)?,
            "by" => by = opt(value, string)?,
            "reason" => reason = opt(value, string)?,
            _ => return None,
        }
        Some(())
    })?;
    Some(RawHistory {
        event: event?,
        at: at?,
        id,
        by,
        reason,
    })
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
