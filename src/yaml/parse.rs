//! A span-keeping YAML parser for hand-written files: block mappings and sequences, every
//! scalar style, flow collections, tags and anchors. Scalar decoding follows PyYAML's scanner
//! (what Ansible reads); constructs the editor cannot handle faithfully are refused.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use super::error::{LineIndex, YamlError};
use super::limits::{self, MAX_DEPTH};
use super::resolve::{KeyId, plain_is_str, plain_key_id};
use super::secret::SecretBuf;
use super::tree::{
    BlockInfo, Chomp, Key, Kind, Map, Node, Pair, Parsed, Props, Scalar, ScalarText, Seq, Source,
    Style,
};
use std::ops::Range;
use std::sync::Arc;
use zeroize::Zeroizing;

/// PyYAML's limit for implicit keys.
const MAX_KEY_LEN: usize = 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// After `key:`.
    MapValue,
    /// After `- `: a compact mapping or sequence may start on the same line.
    SeqItem,
    /// The document's top node.
    Root,
}

/// Parses one YAML document (an optional BOM, directives, `---`, `...` included).
pub(crate) fn parse(text: &str, lines: &LineIndex) -> Result<Parsed, YamlError> {
    limits::check_size(text).map_err(|breach| YamlError::Syntax {
        line: breach.line,
        column: 1,
        message: breach.cause,
    })?;
    let mut p = Parser {
        s: text,
        src: Arc::new(Zeroizing::new(text.to_string())),
        pair_stack: Vec::new(),
        item_stack: Vec::new(),
        b: text.as_bytes(),
        li: lines,
        depth: 0,
        defined: HashSet::new(),
        referenced: HashSet::new(),
    };
    p.check_chars()?;
    p.stream()
}

struct Parser<'a> {
    s: &'a str,
    /// A copy of `s` that values written as they read are slices of.
    src: Source,
    /// The entries of the block collections being read, innermost last: each gets a vector
    /// of its exact size when it ends, instead of one grown (and copied) entry by entry.
    pair_stack: Vec<Pair>,
    item_stack: Vec<Node>,
    b: &'a [u8],
    li: &'a LineIndex,
    depth: usize,
    defined: HashSet<String>,
    referenced: HashSet<String>,
}

fn is_break(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Whitespace, a line break or the end of the text (`0` stands for the end).
fn blank_or_end(c: u8) -> bool {
    c == 0 || is_ws(c) || is_break(c)
}

fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

fn is_anchor_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

fn is_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

impl<'a> Parser<'a> {
    // ----- positions and errors -------------------------------------------------------

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn err(&self, pos: usize, message: impl Into<String>) -> YamlError {
        let (line, column) = self.li.line_col(self.s, pos);
        YamlError::Syntax {
            line,
            column,
            message: message.into(),
        }
    }

    fn unsupported(&self, pos: usize, what: impl Into<String>) -> YamlError {
        let (line, column) = self.li.line_col(self.s, pos);
        YamlError::Unsupported {
            line,
            column,
            what: what.into(),
        }
    }

    // Lines are short and these are asked about nearby positions: scanning for the line
    // break is cheaper than a binary search of the line index, which stays for errors only.

    /// Start of the line holding `i` (a line break belongs to its line).
    fn line_start(&self, i: usize) -> usize {
        memchr::memrchr(b'\n', &self.b[..i.min(self.b.len())]).map_or(0, |k| k + 1)
    }

    /// Start of the line after the one holding `i`, or the end of the text.
    fn next_line(&self, i: usize) -> usize {
        let i = i.min(self.b.len());
        memchr::memchr(b'\n', &self.b[i..]).map_or(self.b.len(), |k| i + k + 1)
    }

    fn col(&self, i: usize) -> usize {
        i - self.line_start(i)
    }

    fn at_line_start(&self, i: usize) -> bool {
        i == 0 || self.b[i - 1] == b'\n'
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while is_ws(self.at(i)) {
            i += 1;
        }
        i
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.at(i) == b' ' {
            i += 1;
        }
        i
    }

    /// Position just after the line break at `i`.
    fn after_break(&self, i: usize) -> usize {
        if self.at(i) == b'\r' { i + 2 } else { i + 1 }
    }

    /// Position of the line break (or end of text) ending the line holding `i`.
    fn line_end(&self, mut i: usize) -> usize {
        while i < self.b.len() && !is_break(self.b[i]) {
            i += 1;
        }
        i
    }

    fn is_doc_marker(&self, i: usize) -> bool {
        i < self.b.len()
            && (self.b[i..].starts_with(b"---") || self.b[i..].starts_with(b"..."))
            && blank_or_end(self.at(i + 3))
            && self.at_line_start(i)
    }

    fn is_dash_entry(&self, i: usize) -> bool {
        self.at(i) == b'-' && blank_or_end(self.at(i + 1))
    }

    fn enter(&mut self, pos: usize) -> Result<(), YamlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.unsupported(pos, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn check_chars(&self) -> Result<(), YamlError> {
        let mut i = 0;
        while i < self.b.len() {
            let c = self.b[i];
            // Nearly every byte is printable ASCII: decode characters only past it.
            if c.is_ascii() {
                match c {
                    b' '..=b'~' | b'\n' | b'\t' => {}
                    b'\r' if self.at(i + 1) == b'\n' => {}
                    b'\r' => {
                        return Err(self.unsupported(i, "a carriage return without a line feed"));
                    }
                    _ => return Err(self.control_char(i, c.into())),
                }
                i += 1;
                continue;
            }
            let ch = self.s[i..].chars().next().unwrap_or('\0');
            match ch {
                '\u{feff}' if i != 0 => {
                    return Err(self.err(i, "byte order mark (U+FEFF) inside the text"));
                }
                '\u{85}' | '\u{2028}' | '\u{2029}' => {
                    return Err(self
                        .unsupported(i, format!("the line break character U+{:04X}", ch as u32)));
                }
                '\u{feff}' => {}
                c if is_printable(c) => {}
                c => return Err(self.control_char(i, c)),
            }
            i += ch.len_utf8();
        }
        Ok(())
    }

    fn control_char(&self, i: usize, c: char) -> YamlError {
        self.err(
            i,
            format!(
                "control character U+{:04X} is not allowed in YAML",
                c as u32
            ),
        )
    }

    /// Check that only blanks or a comment follow a value on its line.
    fn check_trailing(&self, i: usize) -> Result<(), YamlError> {
        let j = self.skip_ws(i);
        match self.at(j) {
            c if c == 0 || is_break(c) || c == b'#' => Ok(()),
            b':' => Err(self.err(j, "mapping values are not allowed here")),
            _ => Err(self.err(j, "unexpected text after a value")),
        }
    }

    /// From a line start, skip blank and comment-only lines; returns the first content
    /// character and its column.
    fn next_content(&self, from: usize) -> Result<Option<(usize, usize)>, YamlError> {
        let mut ls = from;
        while ls < self.b.len() {
            let i = self.skip_spaces(ls);
            let c = self.at(i);
            if c == b'\t' {
                let j = self.skip_ws(i);
                let d = self.at(j);
                if !(d == 0 || is_break(d) || d == b'#') {
                    return Err(self.err(i, "tab character used for indentation"));
                }
            } else if !(c == 0 || is_break(c) || c == b'#') {
                return Ok(Some((i, i - ls)));
            }
            ls = self.next_line(ls);
        }
        Ok(None)
    }

    fn empty(&self, pos: usize, props: Props, has_props: bool, start: usize) -> Node {
        Node {
            start: if has_props { start } else { pos },
            end: if has_props { props.end } else { pos },
            props,
            kind: Kind::Empty,
            flow: false,
        }
    }

    // ----- document ------------------------------------------------------------------

    fn stream(&mut self) -> Result<Parsed, YamlError> {
        let mut p = if self.s.starts_with('\u{feff}') { 3 } else { 0 };
        let mut saw_directive = false;
        let root;
        loop {
            let Some((cp, ind)) = self.next_content(p)? else {
                if saw_directive {
                    return Err(self.err(self.b.len(), "directives without a document"));
                }
                return Ok(self.finish(self.empty(self.b.len(), Props::default(), false, 0), None));
            };
            if ind == 0 && self.at(cp) == b'%' {
                saw_directive = true;
                p = self.next_line(cp);
                continue;
            }
            if self.is_doc_marker(cp) && self.at(cp) == b'-' {
                root = self.block_node(cp + 3, -1, Ctx::Root)?;
            } else if self.is_doc_marker(cp) {
                // `...` before any content: an empty document.
                root = self.empty(cp, Props::default(), false, cp);
            } else {
                if saw_directive {
                    return Err(self.err(cp, "expected '---' after the directives"));
                }
                root = self.node_at_line_start(cp, ind, -1)?;
            }
            break;
        }
        // Epilogue: comments, blank lines and `...` only.
        let mut end_marker = None;
        let mut p = if matches!(root.kind, Kind::Empty) && self.at(root.end) == b'.' {
            root.end
        } else {
            self.next_line(root.end)
        };
        while let Some((cp, ind)) = self.next_content(p)? {
            if ind == 0 && self.is_doc_marker(cp) && self.at(cp) == b'.' {
                self.check_trailing(cp + 3)?;
                end_marker.get_or_insert(cp);
                p = self.next_line(cp);
            } else if (ind == 0 && self.is_doc_marker(cp)) || end_marker.is_some() {
                return Err(self.unsupported(cp, "a file with several YAML documents"));
            } else {
                return Err(self.err(
                    cp,
                    "unexpected content after the end of the document (check the indentation)",
                ));
            }
        }
        Ok(self.finish(root, end_marker))
    }

    fn finish(&mut self, root: Node, end_marker: Option<usize>) -> Parsed {
        Parsed {
            root,
            end_marker,
            referenced: std::mem::take(&mut self.referenced),
        }
    }

    // ----- block structure -----------------------------------------------------------

    /// A node whose first character `cp` starts a line at column `ind`.
    fn node_at_line_start(
        &mut self,
        cp: usize,
        ind: usize,
        parent: isize,
    ) -> Result<Node, YamlError> {
        if self.is_dash_entry(cp) {
            self.block_seq(cp, ind)
        } else if self.looks_like_key(cp)? {
            self.block_map(cp, ind)
        } else {
            self.block_node(cp, parent, Ctx::MapValue)
        }
    }

    /// The node that follows `key:`, `- ` or `---` at `after` (same line), belonging to a
    /// parent whose indentation is `parent`.
    fn block_node(&mut self, after: usize, parent: isize, ctx: Ctx) -> Result<Node, YamlError> {
        self.enter(after)?;
        let r = self.block_node_inner(after, parent, ctx);
        self.leave();
        r
    }

    fn block_node_inner(
        &mut self,
        after: usize,
        parent: isize,
        ctx: Ctx,
    ) -> Result<Node, YamlError> {
        let start = self.skip_ws(after);
        let (props, p) = self.props(start)?;
        let has_props = props.tag.is_some() || props.anchor.is_some();
        let c = self.at(p);
        if c == 0 || is_break(c) || (c == b'#' && (p == after || is_ws(self.at(p - 1)))) {
            // The content, if any, is on the following lines.
            let from = self.next_line(p);
            if let Some((cp, ind)) = self.next_content(from)?
                && !(ind == 0 && self.is_doc_marker(cp))
            {
                let ind_i = ind as isize;
                let indentless = ind_i == parent && ctx == Ctx::MapValue && self.is_dash_entry(cp);
                if ind_i > parent || indentless {
                    let mut node = self.node_at_line_start(cp, ind, parent)?;
                    if has_props {
                        if node.has_props() {
                            return Err(self.err(cp, "a node has two sets of properties"));
                        }
                        node.start = start;
                        node.props = props.clone();
                    }
                    self.define_anchor(&props);
                    return Ok(node);
                }
            }
            self.define_anchor(&props);
            return Ok(self.empty(after, props, has_props, start));
        }
        if c == b'*' {
            if has_props {
                return Err(self.err(p, "an alias cannot have a tag or an anchor"));
            }
            let node = self.alias(p)?;
            self.check_trailing(node.end)?;
            return Ok(node);
        }
        if c == b'|' || c == b'>' {
            let mut node = self.block_scalar(p, parent)?;
            node.start = start;
            node.props = props.clone();
            self.define_anchor(&props);
            return Ok(node);
        }
        if self.is_dash_entry(p) {
            if ctx == Ctx::SeqItem && !has_props {
                return self.block_seq(p, self.col(p));
            }
            return Err(self.err(p, "a sequence entry is not allowed here"));
        }
        if c == b'?' && blank_or_end(self.at(p + 1)) {
            return Err(self.unsupported(p, "an explicit mapping key ('? ')"));
        }
        if self.looks_like_key(p)? {
            if has_props {
                return Err(self.unsupported(start, "a tag or anchor on a mapping key"));
            }
            if ctx == Ctx::SeqItem {
                return self.block_map(p, self.col(p));
            }
            return Err(self.err(p, "mapping values are not allowed here"));
        }
        let mut node = match c {
            b'"' | b'\'' => {
                let (value, end) = self.quoted(p)?;
                let style = if c == b'"' {
                    Style::Double
                } else {
                    Style::Single
                };
                scalar_node(p, end, style, value, false)
            }
            b'[' | b'{' => self.flow_collection(p)?,
            _ => {
                self.check_plain_start(p, false)?;
                let (value, end) = self.plain(p, parent, false)?;
                scalar_node(p, end, Style::Plain, value, false)
            }
        };
        self.check_trailing(node.end)?;
        node.start = start;
        node.props = props.clone();
        self.define_anchor(&props);
        Ok(node)
    }

    fn define_anchor(&mut self, props: &Props) {
        if let Some(a) = &props.anchor {
            self.defined.insert(a.clone());
        }
    }

    /// Does an implicit mapping key (`key:` followed by a blank) start at `p`?
    fn looks_like_key(&self, p: usize) -> Result<bool, YamlError> {
        let c = self.at(p);
        match c {
            b'"' | b'\'' => {
                let Ok((_, end)) = self.quoted(p) else {
                    return Ok(false);
                };
                let j = self.skip_ws(end);
                Ok(self.at(j) == b':' && blank_or_end(self.at(j + 1)))
            }
            b'[' | b'{' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b','
            | b']' | b'}' => Ok(false),
            b'-' | b'?' | b':' if blank_or_end(self.at(p + 1)) => Ok(false),
            _ => {
                let mut i = p;
                loop {
                    let c = self.at(i);
                    if c == 0 || is_break(c) {
                        return Ok(false);
                    }
                    if c == b':' && blank_or_end(self.at(i + 1)) {
                        return Ok(true);
                    }
                    if c == b'#' && i > p && is_ws(self.at(i - 1)) {
                        return Ok(false);
                    }
                    i += 1;
                }
            }
        }
    }

    /// Parses the implicit key at `p`; returns it and the position of its `:`.
    fn key(&self, p: usize) -> Result<(Key, usize), YamlError> {
        let c = self.at(p);
        let (text, end, style) = if c == b'"' || c == b'\'' {
            let (text, end) = self.quoted(p)?;
            if memchr::memchr(b'\n', &self.b[p..end]).is_some() {
                return Err(self.unsupported(p, "a key spanning several lines"));
            }
            (
                text,
                end,
                if c == b'"' {
                    Style::Double
                } else {
                    Style::Single
                },
            )
        } else {
            let mut i = p;
            while !(self.at(i) == b':' && blank_or_end(self.at(i + 1))) {
                i += 1;
            }
            let mut end = i;
            while is_ws(self.at(end - 1)) {
                end -= 1;
            }
            let text = &self.s[p..end];
            if text.bytes().any(|b| b == b'\t') {
                return Err(self.unsupported(p, "a tab inside a plain key"));
            }
            (ScalarText::slice(&self.src, p..end), end, Style::Plain)
        };
        if end - p > MAX_KEY_LEN {
            return Err(self.err(p, "a key longer than 1024 characters"));
        }
        let colon = self.skip_ws(end);
        if self.at(colon) != b':' {
            return Err(self.err(colon, "could not find the ':' after a key"));
        }
        Ok((
            Key {
                text,
                span: p..end,
                style,
            },
            colon,
        ))
    }

    fn block_map(&mut self, first: usize, indent: usize) -> Result<Node, YamlError> {
        self.enter(first)?;
        let base = self.pair_stack.len();
        let r = self.block_map_inner(first, indent, base);
        self.pair_stack.truncate(base);
        self.leave();
        r
    }

    /// The mapping's pairs are gathered on `pair_stack` above `base`.
    fn block_map_inner(
        &mut self,
        first: usize,
        indent: usize,
        base: usize,
    ) -> Result<Node, YamlError> {
        let mut seen = DupCheck::default();
        let mut cur = first;
        let mut end;
        loop {
            if self.at(cur) == b'?' && blank_or_end(self.at(cur + 1)) {
                return Err(self.unsupported(cur, "an explicit mapping key ('? ')"));
            }
            if !self.looks_like_key(cur)? {
                return Err(match self.at(cur) {
                    b'&' | b'!' => self.unsupported(cur, "a tag or anchor on a mapping key"),
                    b'[' | b'{' => self.unsupported(cur, "a flow collection as a mapping key"),
                    b'*' => self.unsupported(cur, "an alias as a mapping key"),
                    _ => self.err(cur, "could not find the ':' after a key"),
                });
            }
            let (key, colon) = self.key(cur)?;
            seen.check(self, &key, &self.pair_stack[base..])?;
            let value = self.block_node(colon + 1, indent as isize, Ctx::MapValue)?;
            end = value.end.max(colon + 1);
            let line_start = self.line_start(cur);
            // A byte-order mark before the first key is not a `- ` in front of it.
            let line_start = if line_start == 0 && self.s.starts_with('\u{feff}') {
                3
            } else {
                line_start
            };
            let compact = self.b[line_start..cur].iter().any(|&c| c != b' ');
            self.pair_stack.push(Pair {
                key,
                colon,
                value,
                compact,
            });
            match self.next_content(self.next_line(end))? {
                None => break,
                Some((cp, ind)) => {
                    if (ind == 0 && self.is_doc_marker(cp)) || ind < indent {
                        break;
                    }
                    if ind > indent {
                        return Err(self.err(cp, "bad indentation of a mapping entry"));
                    }
                    if self.is_dash_entry(cp) {
                        return Err(
                            self.err(cp, "a sequence entry where a mapping key was expected")
                        );
                    }
                    cur = cp;
                }
            }
        }
        Ok(Node {
            start: first,
            end,
            props: Props {
                end: first,
                ..Props::default()
            },
            kind: Kind::Map(Map {
                indent,
                pairs: self.pair_stack.split_off(base),
            }),
            flow: false,
        })
    }

    fn block_seq(&mut self, first: usize, indent: usize) -> Result<Node, YamlError> {
        self.enter(first)?;
        let base = self.item_stack.len();
        let r = self.block_seq_inner(first, indent, base);
        self.item_stack.truncate(base);
        self.leave();
        r
    }

    /// The sequence's items are gathered on `item_stack` above `base`.
    fn block_seq_inner(
        &mut self,
        first: usize,
        indent: usize,
        base: usize,
    ) -> Result<Node, YamlError> {
        let mut cur = first;
        let mut end;
        loop {
            let item = self.block_node(cur + 1, indent as isize, Ctx::SeqItem)?;
            end = item.end.max(cur + 1);
            self.item_stack.push(item);
            match self.next_content(self.next_line(end))? {
                None => break,
                Some((cp, ind)) => {
                    if (ind == 0 && self.is_doc_marker(cp)) || ind < indent {
                        break;
                    }
                    if ind > indent {
                        return Err(self.err(cp, "bad indentation of a sequence entry"));
                    }
                    if !self.is_dash_entry(cp) {
                        break;
                    }
                    cur = cp;
                }
            }
        }
        Ok(Node {
            start: first,
            end,
            props: Props {
                end: first,
                ..Props::default()
            },
            kind: Kind::Seq(Seq {
                items: self.item_stack.split_off(base),
            }),
            flow: false,
        })
    }

    // ----- properties and aliases ----------------------------------------------------

    /// Tag and/or anchor at `i`; returns them and the position after them (and blanks).
    fn props(&mut self, mut i: usize) -> Result<(Props, usize), YamlError> {
        let mut props = Props {
            end: i,
            ..Props::default()
        };
        loop {
            match self.at(i) {
                b'!' => {
                    if props.tag.is_some() {
                        return Err(self.err(i, "a node with two tags"));
                    }
                    let s0 = i;
                    if self.at(i + 1) == b'<' {
                        while !blank_or_end(self.at(i)) && self.at(i) != b'>' {
                            i += 1;
                        }
                        if self.at(i) != b'>' {
                            return Err(self.err(s0, "unterminated verbatim tag"));
                        }
                        i += 1;
                    } else {
                        while !blank_or_end(self.at(i)) {
                            i += 1;
                        }
                    }
                    if !blank_or_end(self.at(i)) {
                        return Err(self.err(i, "expected a blank after a tag"));
                    }
                    props.tag = Some(self.s[s0..i].to_string());
                    props.end = i;
                    i = self.skip_ws(i);
                }
                b'&' => {
                    if props.anchor.is_some() {
                        return Err(self.err(i, "a node with two anchors"));
                    }
                    let s0 = i + 1;
                    i += 1;
                    while is_anchor_char(self.at(i)) {
                        i += 1;
                    }
                    if i == s0 {
                        return Err(self.err(s0 - 1, "an anchor without a name"));
                    }
                    let c = self.at(i);
                    if !(blank_or_end(c) || b"?:,]}%@`".contains(&c)) {
                        return Err(self.err(i, "unexpected character in an anchor name"));
                    }
                    let name = &self.s[s0..i];
                    if self.defined.contains(name) {
                        return Err(self.err(s0 - 1, format!("duplicate anchor &{name}")));
                    }
                    props.anchor = Some(name.to_string());
                    props.end = i;
                    i = self.skip_ws(i);
                }
                _ => return Ok((props, i)),
            }
        }
    }

    fn alias(&mut self, p: usize) -> Result<Node, YamlError> {
        let mut i = p + 1;
        while is_anchor_char(self.at(i)) {
            i += 1;
        }
        if i == p + 1 {
            return Err(self.err(p, "an alias without a name"));
        }
        let c = self.at(i);
        if !(blank_or_end(c) || b"?:,]}%@`".contains(&c)) {
            return Err(self.err(i, "unexpected character in an alias name"));
        }
        let name = self.s[p + 1..i].to_string();
        if !self.defined.contains(&name) {
            return Err(self.err(
                p,
                format!("alias *{name} refers to no anchor defined before it"),
            ));
        }
        self.referenced.insert(name.clone());
        Ok(Node {
            start: p,
            end: i,
            props: Props {
                end: p,
                ..Props::default()
            },
            kind: Kind::Alias(name),
            flow: false,
        })
    }

    // ----- scalars -------------------------------------------------------------------

    fn check_plain_start(&self, p: usize, flow: bool) -> Result<(), YamlError> {
        let c = self.at(p);
        let next_blank = blank_or_end(self.at(p + 1));
        let ok = match c {
            b'-' => !next_blank,
            b'?' | b':' => !next_blank && !flow,
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => false,
            c => !blank_or_end(c),
        };
        if ok {
            Ok(())
        } else {
            Err(self.err(p, "a plain scalar cannot start with this character"))
        }
    }

    /// A plain scalar at `p` (PyYAML `scan_plain`): returns its value and end.
    fn plain(&self, p: usize, parent: isize, flow: bool) -> Result<(ScalarText, usize), YamlError> {
        let min_col = parent + 1;
        let mut out = TextBuilder::new(self.s, p);
        let mut spaces = Sep::Src(p..p);
        let mut i = p;
        let mut end = p;
        loop {
            if self.at(i) == b'#' {
                break;
            }
            let start = i;
            loop {
                let c = self.at(i);
                if blank_or_end(c) {
                    break;
                }
                if c == b':' {
                    let n = self.at(i + 1);
                    if blank_or_end(n) || (flow && is_flow_indicator(n)) {
                        break;
                    }
                }
                if flow && (is_flow_indicator(c) || c == b'?') {
                    break;
                }
                i += 1;
            }
            if i == start {
                break;
            }
            match spaces {
                Sep::Src(r) => out.push_src(r),
                Sep::Breaks(0) => out.push(' '),
                Sep::Breaks(n) => out.push_repeat('\n', n),
            }
            out.push_src(start..i);
            end = i;
            match self.plain_spaces(i) {
                None => break,
                Some((chunk, next)) => {
                    spaces = chunk;
                    i = next;
                    if self.at(i) == b'#' || (!flow && (self.col(i) as isize) < min_col) {
                        break;
                    }
                }
            }
        }
        Ok((out.finish(&self.src), end))
    }

    /// PyYAML `scan_plain_spaces`: the folded separation after a plain chunk.
    fn plain_spaces(&self, i: usize) -> Option<(Sep, usize)> {
        let mut j = self.skip_spaces(i);
        let c = self.at(j);
        if is_break(c) {
            j = self.after_break(j);
            if self.is_doc_marker(j) {
                return None;
            }
            let mut breaks = 0;
            loop {
                let c = self.at(j);
                if c == b' ' {
                    j += 1;
                } else if is_break(c) {
                    breaks += 1;
                    j = self.after_break(j);
                    if self.is_doc_marker(j) {
                        return None;
                    }
                } else {
                    break;
                }
            }
            Some((Sep::Breaks(breaks), j))
        } else if j > i {
            Some((Sep::Src(i..j), j))
        } else {
            None
        }
    }

    /// A single- or double-quoted scalar at `p` (PyYAML `scan_flow_scalar`).
    fn quoted(&self, p: usize) -> Result<(ScalarText, usize), YamlError> {
        let quote = self.at(p);
        let double = quote == b'"';
        let mut i = p + 1;
        let mut out = TextBuilder::new(self.s, i);
        loop {
            // Non-space runs.
            loop {
                let start = i;
                while !matches!(
                    self.at(i),
                    b'\'' | b'"' | b'\\' | 0 | b' ' | b'\t' | b'\r' | b'\n'
                ) {
                    i += 1;
                }
                out.push_src(start..i);
                let c = self.at(i);
                if !double && c == b'\'' && self.at(i + 1) == b'\'' {
                    out.push('\'');
                    i += 2;
                } else if (double && c == b'\'') || (!double && (c == b'"' || c == b'\\')) {
                    out.push(c as char);
                    i += 1;
                } else if double && c == b'\\' {
                    i += 1;
                    let e = self.at(i);
                    let simple = match e {
                        b'0' => Some('\0'),
                        b'a' => Some('\x07'),
                        b'b' => Some('\x08'),
                        b't' | b'\t' => Some('\t'),
                        b'n' => Some('\n'),
                        b'v' => Some('\x0b'),
                        b'f' => Some('\x0c'),
                        b'r' => Some('\r'),
                        b'e' => Some('\x1b'),
                        b' ' => Some(' '),
                        b'"' => Some('"'),
                        b'/' => Some('/'),
                        b'\\' => Some('\\'),
                        b'N' => Some('\u{85}'),
                        b'_' => Some('\u{a0}'),
                        b'L' => Some('\u{2028}'),
                        b'P' => Some('\u{2029}'),
                        _ => None,
                    };
                    if let Some(ch) = simple {
                        out.push(ch);
                        i += 1;
                    } else if matches!(e, b'x' | b'u' | b'U') {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = self.s.get(i + 1..i + 1 + n).unwrap_or("");
                        if hex.len() != n || !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                            return Err(
                                self.err(i - 1, "bad hexadecimal escape in a double-quoted scalar")
                            );
                        }
                        let code = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
                        let Some(ch) = char::from_u32(code) else {
                            return Err(self.unsupported(
                                i - 1,
                                "an escape for a surrogate or out-of-range code point",
                            ));
                        };
                        out.push(ch);
                        i += 1 + n;
                    } else if is_break(e) {
                        i = self.after_break(i);
                        let n = self.flow_breaks(&mut i, p)?;
                        out.push_repeat('\n', n);
                    } else {
                        return Err(
                            self.err(i - 1, "unknown escape sequence in a double-quoted scalar")
                        );
                    }
                } else {
                    break;
                }
            }
            let c = self.at(i);
            if c == quote {
                return Ok((out.finish(&self.src), i + 1));
            }
            // Spaces and line folding.
            let ws = i;
            i = self.skip_ws(i);
            let c = self.at(i);
            if i >= self.b.len() {
                return Err(self.err(
                    p,
                    "a quoted scalar is not closed before the end of the text",
                ));
            }
            if is_break(c) {
                i = self.after_break(i);
                let n = self.flow_breaks(&mut i, p)?;
                if n == 0 {
                    out.push(' ');
                } else {
                    out.push_repeat('\n', n);
                }
            } else {
                out.push_src(ws..i);
            }
        }
    }

    fn flow_breaks(&self, i: &mut usize, start: usize) -> Result<usize, YamlError> {
        let mut n = 0;
        loop {
            if self.is_doc_marker(*i) {
                return Err(self.err(*i, "a document marker inside a quoted scalar"));
            }
            *i = self.skip_ws(*i);
            let c = self.at(*i);
            if is_break(c) {
                n += 1;
                *i = self.after_break(*i);
            } else {
                if *i >= self.b.len() {
                    return Err(self.err(
                        start,
                        "a quoted scalar is not closed before the end of the text",
                    ));
                }
                return Ok(n);
            }
        }
    }

    /// A `|` or `>` block scalar whose header is at `p` (PyYAML `scan_block_scalar`).
    fn block_scalar(&self, p: usize, parent: isize) -> Result<Node, YamlError> {
        let folded = self.at(p) == b'>';
        let mut i = p + 1;
        let mut chomp = None;
        let mut increment = None;
        for _ in 0..2 {
            match self.at(i) {
                b'+' | b'-' if chomp.is_none() => {
                    chomp = Some(if self.at(i) == b'+' {
                        Chomp::Keep
                    } else {
                        Chomp::Strip
                    });
                    i += 1;
                }
                c @ b'1'..=b'9' if increment.is_none() => {
                    increment = Some((c - b'0') as usize);
                    i += 1;
                }
                b'0' => return Err(self.err(i, "a block indentation indicator must be 1 to 9")),
                _ => break,
            }
        }
        let chomp = chomp.unwrap_or(Chomp::Clip);
        let header_end = i;
        let j = self.skip_ws(i);
        let c = self.at(j);
        if !(c == 0 || is_break(c) || (c == b'#' && j > i)) {
            return Err(self.err(
                j,
                "expected a comment or a line break after a block scalar header",
            ));
        }
        let body = self.next_line(j);
        let min_indent = (parent + 1).max(1) as usize;
        let len = self.b.len();

        // Leading empty lines and the content indentation.
        let mut pos = body;
        let mut breaks = 0usize;
        let mut last_break = None;
        let indent = match increment {
            Some(k) => {
                let indent = min_indent + k - 1;
                (pos, breaks, last_break) = self.block_breaks(pos, indent);
                indent
            }
            None => {
                let mut max_indent = 0;
                loop {
                    if pos >= len {
                        break;
                    }
                    let sp = self.skip_spaces(pos);
                    max_indent = max_indent.max(sp - pos);
                    if is_break(self.at(sp)) {
                        breaks += 1;
                        last_break = Some(sp);
                        pos = self.after_break(sp);
                    } else {
                        pos = sp;
                        break;
                    }
                }
                min_indent.max(max_indent)
            }
        };

        let mut value = TextBuilder::new(self.s, pos);
        let mut line_break = "";
        let mut first_line = None;
        let mut last_content_end = None;
        while pos < len && self.col(pos) == indent {
            value.push_repeat('\n', breaks);
            let leading_non_space = !is_ws(self.at(pos));
            let e = self.line_end(pos);
            value.push_src(pos..e);
            first_line.get_or_insert(self.line_start(pos));
            last_content_end = Some(e);
            if e < len {
                line_break = "\n";
                pos = self.after_break(e);
            } else {
                line_break = "";
                pos = e;
            }
            (pos, breaks, last_break) = self.block_breaks(pos, indent);
            if pos < len && self.col(pos) == indent {
                if folded && line_break == "\n" && leading_non_space && !is_ws(self.at(pos)) {
                    if breaks == 0 {
                        value.push(' ');
                    }
                } else {
                    value.push_str(line_break);
                }
            } else {
                break;
            }
        }
        let end = match chomp {
            Chomp::Strip => last_content_end.unwrap_or(header_end),
            Chomp::Clip => {
                value.push_str(line_break);
                last_content_end.unwrap_or(header_end)
            }
            Chomp::Keep => {
                value.push_str(line_break);
                value.push_repeat('\n', breaks);
                match (breaks, last_break) {
                    (n, Some(b)) if n > 0 => b,
                    _ => last_content_end.unwrap_or(header_end),
                }
            }
        };
        Ok(Node {
            start: p,
            end,
            props: Props {
                end: p,
                ..Props::default()
            },
            kind: Kind::Scalar(Scalar {
                style: if folded {
                    Style::Folded
                } else {
                    Style::Literal
                },
                value: value.finish(&self.src),
                block: Some(Box::new(BlockInfo {
                    header_end,
                    indent,
                    first_line,
                    content_end: last_content_end,
                })),
            }),
            flow: false,
        })
    }

    /// PyYAML `scan_block_scalar_breaks`: from a line start, skip up to `indent` spaces and
    /// empty lines. Returns the position reached, the number of line breaks and the last one.
    fn block_breaks(&self, mut pos: usize, indent: usize) -> (usize, usize, Option<usize>) {
        let mut n = 0;
        let mut last = None;
        loop {
            let ls = pos;
            while pos - ls < indent && self.at(pos) == b' ' {
                pos += 1;
            }
            if is_break(self.at(pos)) {
                n += 1;
                last = Some(pos);
                pos = self.after_break(pos);
            } else {
                return (pos, n, last);
            }
        }
    }

    // ----- flow collections ----------------------------------------------------------

    /// Skip blanks, line breaks and comments inside a flow collection.
    fn flow_ws(&self, mut i: usize, open: usize) -> Result<usize, YamlError> {
        loop {
            let c = self.at(i);
            if is_ws(c) {
                i += 1;
            } else if is_break(c) {
                i = self.after_break(i);
                if self.is_doc_marker(i) {
                    return Err(self.err(i, "a document marker inside a flow collection"));
                }
            } else if c == b'#' {
                i = self.line_end(i);
            } else if c == 0 {
                return Err(self.err(
                    open,
                    "a flow collection is not closed before the end of the text",
                ));
            } else {
                return Ok(i);
            }
        }
    }

    fn flow_collection(&mut self, p: usize) -> Result<Node, YamlError> {
        self.enter(p)?;
        let r = self.flow_collection_inner(p);
        self.leave();
        r
    }

    fn flow_collection_inner(&mut self, p: usize) -> Result<Node, YamlError> {
        let is_map = self.at(p) == b'{';
        let close = if is_map { b'}' } else { b']' };
        let mut i = p + 1;
        let mut pairs = Vec::new();
        let mut items = Vec::new();
        let mut seen = DupCheck::default();
        loop {
            i = self.flow_ws(i, p)?;
            if self.at(i) == close {
                i += 1;
                break;
            }
            if self.at(i) == b'?' && blank_or_end(self.at(i + 1)) {
                return Err(self.unsupported(i, "an explicit mapping key ('? ')"));
            }
            if is_map {
                let c = self.at(i);
                let (text, kend, style) = match c {
                    b'"' | b'\'' => {
                        let (t, e) = self.quoted(i)?;
                        (
                            t,
                            e,
                            if c == b'"' {
                                Style::Double
                            } else {
                                Style::Single
                            },
                        )
                    }
                    b'[' | b'{' => {
                        return Err(self.unsupported(i, "a flow collection as a mapping key"));
                    }
                    b'*' => return Err(self.unsupported(i, "an alias as a mapping key")),
                    b'!' | b'&' => {
                        return Err(self.unsupported(i, "a tag or anchor on a mapping key"));
                    }
                    _ => {
                        self.check_plain_start(i, true)?;
                        let (t, e) = self.plain(i, -1, true)?;
                        (t, e, Style::Plain)
                    }
                };
                let key = Key {
                    text,
                    span: i..kend,
                    style,
                };
                seen.check(self, &key, &pairs)?;
                let j = self.flow_ws(kend, p)?;
                let (colon, value) = if self.at(j) == b':' {
                    let v = self.flow_ws(j + 1, p)?;
                    let c = self.at(v);
                    let value = if c == b',' || c == close {
                        self.empty(j + 1, Props::default(), false, j + 1)
                    } else {
                        self.flow_node(v, p)?
                    };
                    i = value.end.max(j + 1);
                    (j, value)
                } else if self.at(j) == b',' || self.at(j) == close {
                    i = kend;
                    (kend, self.empty(kend, Props::default(), false, kend))
                } else {
                    return Err(self.err(j, "expected ',' or '}' in a flow mapping"));
                };
                pairs.push(Pair {
                    key,
                    colon,
                    value,
                    compact: false,
                });
            } else {
                let item = self.flow_node(i, p)?;
                i = item.end;
                let j = self.flow_ws(i, p)?;
                if self.at(j) == b':' {
                    // `[key: value]` is a sequence holding a one-entry mapping.
                    let pair = self.single_pair(item, j, close, p)?;
                    i = pair.end;
                    items.push(pair);
                } else {
                    items.push(item);
                }
            }
            i = self.flow_ws(i, p)?;
            match self.at(i) {
                b',' => i += 1,
                c if c == close => {
                    i += 1;
                    break;
                }
                _ => {
                    return Err(self.err(
                        i,
                        if is_map {
                            "expected ',' or '}' in a flow mapping"
                        } else {
                            "expected ',' or ']' in a flow sequence"
                        },
                    ));
                }
            }
        }
        // Exactly sized, as block collections are: a one-line `{a: 1, b: 2}`
        // would otherwise keep room for four entries.
        pairs.shrink_to_fit();
        items.shrink_to_fit();
        let kind = if is_map {
            Kind::Map(Map {
                indent: self.col(p),
                pairs,
            })
        } else {
            Kind::Seq(Seq { items })
        };
        Ok(Node {
            start: p,
            end: i,
            props: Props {
                end: p,
                ..Props::default()
            },
            kind,
            flow: true,
        })
    }

    /// The one-entry mapping `key: value` inside a flow sequence; `colon` is at the `:`.
    fn single_pair(
        &mut self,
        key: Node,
        colon: usize,
        close: u8,
        open: usize,
    ) -> Result<Node, YamlError> {
        let (text, style) = match &key.kind {
            Kind::Scalar(s) if !key.has_props() && s.block.is_none() => (s.value.clone(), s.style),
            _ => return Err(self.unsupported(key.start, "this kind of key in a flow sequence")),
        };
        let v = self.flow_ws(colon + 1, open)?;
        let c = self.at(v);
        let value = if c == b',' || c == close {
            self.empty(colon + 1, Props::default(), false, colon + 1)
        } else {
            self.flow_node(v, open)?
        };
        Ok(Node {
            start: key.start,
            end: value.end.max(colon + 1),
            props: Props {
                end: key.start,
                ..Props::default()
            },
            kind: Kind::Map(Map {
                indent: self.col(key.start),
                pairs: vec![Pair {
                    key: Key {
                        text,
                        span: key.start..key.end,
                        style,
                    },
                    colon,
                    value,
                    compact: false,
                }],
            }),
            flow: true,
        })
    }

    /// A node inside a flow collection.
    fn flow_node(&mut self, i: usize, open: usize) -> Result<Node, YamlError> {
        let start = i;
        let (props, mut p) = self.props(i)?;
        let has_props = props.tag.is_some() || props.anchor.is_some();
        if has_props {
            p = self.flow_ws(p, open)?;
        }
        let c = self.at(p);
        let mut node = match c {
            b',' | b']' | b'}' if has_props => {
                self.define_anchor(&props);
                let mut n = self.empty(p, props.clone(), true, start);
                n.flow = true;
                return Ok(n);
            }
            b'*' if !has_props => self.alias(p)?,
            b'*' => return Err(self.err(p, "an alias cannot have a tag or an anchor")),
            b'[' | b'{' => self.flow_collection(p)?,
            b'"' | b'\'' => {
                let (value, end) = self.quoted(p)?;
                scalar_node(
                    p,
                    end,
                    if c == b'"' {
                        Style::Double
                    } else {
                        Style::Single
                    },
                    value,
                    true,
                )
            }
            b'|' | b'>' => return Err(self.err(p, "a block scalar inside a flow collection")),
            _ => {
                self.check_plain_start(p, true)?;
                let (value, end) = self.plain(p, -1, true)?;
                scalar_node(p, end, Style::Plain, value, true)
            }
        };
        node.start = start;
        node.props = props.clone();
        node.flow = true;
        self.define_anchor(&props);
        Ok(node)
    }
}

fn scalar_node(start: usize, end: usize, style: Style, value: ScalarText, flow: bool) -> Node {
    Node {
        start,
        end,
        props: Props {
            end: start,
            ..Props::default()
        },
        kind: Kind::Scalar(Scalar {
            style,
            value,
            block: None,
        }),
        flow,
    }
}

/// The separation after a chunk of a plain scalar: blanks kept as written, or line breaks
/// folded (none: a space; `n`: `n` line feeds).
enum Sep {
    Src(Range<usize>),
    Breaks(usize),
}

/// A decoded value being read: a range of the source for as long as it is an unchanged
/// copy of one, then its own zeroizing buffer.
struct TextBuilder<'a> {
    s: &'a str,
    range: Range<usize>,
    owned: Option<SecretBuf>,
}

impl<'a> TextBuilder<'a> {
    fn new(s: &'a str, at: usize) -> Self {
        TextBuilder {
            s,
            range: at..at,
            owned: None,
        }
    }

    /// Appends the source text at `r`.
    fn push_src(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        match &mut self.owned {
            Some(buf) => buf.push_str(&self.s[r]),
            None if self.range.is_empty() => self.range = r,
            None if self.range.end == r.start => self.range.end = r.end,
            None => {
                let s = self.s;
                self.own().push_str(&s[r]);
            }
        }
    }

    fn own(&mut self) -> &mut SecretBuf {
        self.owned.get_or_insert_with(|| {
            let mut buf = SecretBuf::with_capacity(self.range.len() + 16);
            buf.push_str(&self.s[self.range.clone()]);
            buf
        })
    }

    fn push(&mut self, c: char) {
        self.own().push(c);
    }

    fn push_str(&mut self, t: &str) {
        if !t.is_empty() {
            self.own().push_str(t);
        }
    }

    fn push_repeat(&mut self, c: char, n: usize) {
        if n > 0 {
            self.own().push_repeat(c, n);
        }
    }

    fn finish(self, src: &Source) -> ScalarText {
        match self.owned {
            Some(buf) => ScalarText::owned(buf.into_inner()),
            None => ScalarText::slice(src, self.range),
        }
    }
}

/// Below this many entries a mapping's keys are compared one by one: cheaper than hashing.
const DUP_SCAN: usize = 16;

/// Duplicate key detection for one mapping: same Python value, or same spelling. Keys are
/// looked up in the pairs already read (no copy of any key).
#[derive(Default)]
struct DupCheck {
    /// Keyed hash of each key's spelling → index of its pair, filled once the mapping has
    /// `DUP_SCAN` entries. Randomly keyed, so hostile keys cannot make the lookups collide.
    texts: HashMap<u64, usize, BuildHasherDefault<PreHashed>>,
    /// How many pairs `texts` holds.
    indexed: usize,
    hasher: RandomState,
    /// Keys whose Python value is not their spelling (`1`, `0x1`, `true`, `~`).
    ids: HashMap<KeyId, usize>,
}

impl DupCheck {
    fn check(&mut self, p: &Parser<'_>, key: &Key, pairs: &[Pair]) -> Result<(), YamlError> {
        let id = (key.style == Style::Plain && !plain_is_str(&key.text))
            .then(|| plain_key_id(&key.text));
        let mut first = id.as_ref().and_then(|id| self.ids.get(id)).copied();
        if first.is_none() {
            first = if pairs.len() < DUP_SCAN {
                pairs.iter().position(|q| q.key.text == key.text)
            } else {
                for (i, q) in pairs.iter().enumerate().skip(self.indexed) {
                    let h = self.hasher.hash_one(q.key.text());
                    self.texts.entry(h).or_insert(i);
                }
                self.indexed = pairs.len();
                match self.texts.get(&self.hasher.hash_one(key.text())) {
                    Some(&i) if pairs[i].key.text == key.text => Some(i),
                    // A hash collision (or a spelling seen twice under one hash): look at all.
                    Some(_) => pairs.iter().position(|q| q.key.text == key.text),
                    None => None,
                }
            }
            .map(|i| pairs[i].key.span.start);
        }
        if let Some(first) = first {
            let (line, column) = p.li.line_col(p.s, key.span.start);
            return Err(YamlError::DuplicateKey {
                key: key.text().to_string(),
                line,
                column,
                first_line: p.li.line_of(first) + 1,
            });
        }
        if let Some(id) = id {
            self.ids.insert(id, key.span.start);
        }
        Ok(())
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Parsed, YamlError> {
        parse(text, &LineIndex::new(text))
    }

    fn scalar(n: &Node) -> &str {
        match &n.kind {
            Kind::Scalar(s) => &s.value,
            k => panic!("not a scalar: {k:?}"),
        }
    }

    fn map(n: &Node) -> &Map {
        match &n.kind {
            Kind::Map(m) => m,
            k => panic!("not a map: {k:?}"),
        }
    }

    fn get<'n>(n: &'n Node, key: &str) -> &'n Node {
        &map(n)
            .pairs
            .iter()
            .find(|p| p.key.text() == key)
            .unwrap()
            .value
    }

    #[test]
    fn plain_and_quoted() {
        let t = "a: x y  z\nb: 'it''s'\nc: \"t\\tab\\u00e9\\x41\"\nd: multi\n  line\n\n  para\ne:  q # c\n";
        let d = parse_str(t).unwrap();
        assert_eq!(scalar(get(&d.root, "a")), "x y  z");
        assert_eq!(scalar(get(&d.root, "b")), "it's");
        assert_eq!(scalar(get(&d.root, "c")), "t\tabéA");
        assert_eq!(scalar(get(&d.root, "d")), "multi line\npara");
        let e = get(&d.root, "e");
        assert_eq!(&t[e.start..e.end], "q");
    }

    #[test]
    fn quoted_folding() {
        let t = "a: \"one\n  two \\\n   three\n\n  four\"\nb: 'x  \n  y'\n";
        let d = parse_str(t).unwrap();
        assert_eq!(scalar(get(&d.root, "a")), "one two three\nfour");
        assert_eq!(scalar(get(&d.root, "b")), "x y");
    }

    #[test]
    fn block_scalars() {
        let t = "a: |\n  l1\n   l2\n\n\nb: >-\n  f1\n  f2\n\n  f3\n   more\nc: |+\n  k\n\n\nd: |2\n    x\ne: |\nf: x\n";
        let d = parse_str(t).unwrap();
        assert_eq!(scalar(get(&d.root, "a")), "l1\n l2\n");
        assert_eq!(scalar(get(&d.root, "b")), "f1 f2\nf3\n more");
        assert_eq!(scalar(get(&d.root, "c")), "k\n\n\n");
        assert_eq!(scalar(get(&d.root, "d")), "  x\n");
        assert_eq!(scalar(get(&d.root, "e")), "");
        let a = get(&d.root, "a");
        assert_eq!(&t[a.start..a.end], "|\n  l1\n   l2");
        let c = get(&d.root, "c");
        assert_eq!(d.root_text_after(t, c), "d: |2\n    x\ne: |\nf: x\n");
    }

    impl Parsed {
        fn root_text_after<'t>(&self, t: &'t str, n: &Node) -> &'t str {
            let li = LineIndex::new(t);
            &t[li.next_line(n.end)..]
        }
    }

    #[test]
    fn nesting_and_sequences() {
        let t = "top:\n  inner:\n    k: v\n  list:\n  - a\n  - b: 1\n    c: 2\n  - - x\n    - y\nnext: 1\n";
        let d = parse_str(t).unwrap();
        let top = get(&d.root, "top");
        assert_eq!(scalar(get(get(top, "inner"), "k")), "v");
        let Kind::Seq(s) = &get(top, "list").kind else {
            panic!()
        };
        assert_eq!(s.items.len(), 3);
        assert_eq!(scalar(get(&s.items[1], "c")), "2");
        assert!(map(&s.items[1]).pairs[0].compact);
        assert_eq!(scalar(get(&d.root, "next")), "1");
    }

    #[test]
    fn flow_collections() {
        let t = "a: {x: 1, 'y': [p, q], z}\nb: [ ]\nc: [a,\n  b]\nd: [cron: \"1 * *\", k: , j]\n";
        let d = parse_str(t).unwrap();
        let Kind::Seq(dseq) = &get(&d.root, "d").kind else {
            panic!()
        };
        assert_eq!(scalar(get(&dseq.items[0], "cron")), "1 * *");
        assert!(matches!(get(&dseq.items[1], "k").kind, Kind::Empty));
        assert_eq!(scalar(&dseq.items[2]), "j");
        let a = get(&d.root, "a");
        assert!(a.flow);
        assert_eq!(map(a).pairs.len(), 3);
        assert!(matches!(get(a, "z").kind, Kind::Empty));
    }

    #[test]
    fn documents_and_bom() {
        let d = parse_str("\u{feff}%YAML 1.1\n---\na: 1\n...\n# tail\n").unwrap();
        assert!(d.end_marker.is_some());
        assert_eq!(scalar(get(&d.root, "a")), "1");
        assert!(parse_str("a: 1\n---\nb: 2\n").is_err());
        assert!(matches!(
            parse_str("# nothing\n").unwrap().root.kind,
            Kind::Empty
        ));
        assert!(matches!(parse_str("").unwrap().root.kind, Kind::Empty));
        assert!(matches!(parse_str("---\n").unwrap().root.kind, Kind::Empty));
    }

    #[test]
    fn anchors_and_tags() {
        let t =
            "a: &x {b: 1}\nc: *x\nd: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\ne: !!str 12\n";
        let d = parse_str(t).unwrap();
        assert!(d.referenced.contains("x"));
        assert!(get(&d.root, "d").is_vault());
        assert_eq!(
            scalar(get(&d.root, "d")),
            "$ANSIBLE_VAULT;1.1;AES256\n3031\n"
        );
        assert!(parse_str("a: *nope\n").is_err());
        assert!(parse_str("a: &x 1\nb: &x 2\n").is_err());
    }

    #[test]
    fn errors_have_positions() {
        let e = parse_str("a: 1\nb: c: d\n").unwrap_err();
        assert!(e.to_string().starts_with("line 2, column 4:"), "{e}");
        let e = parse_str("a: 1\na: 2\n").unwrap_err();
        assert!(
            matches!(
                e,
                YamlError::DuplicateKey {
                    line: 2,
                    first_line: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_str("a:\n  b: 1\n  b: 2\n").unwrap_err();
        assert!(matches!(e, YamlError::DuplicateKey { .. }));
        let e = parse_str("a: \"open\n").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
        let e = parse_str("a:\n\tb: 1\n").unwrap_err();
        assert!(e.to_string().contains("tab"), "{e}");
        assert!(parse_str("yes: 1\ntrue: 2\n").is_err());
        assert!(parse_str("'1': 1\n1: 2\n").is_err());
        assert!(parse_str("a: 1\n  b: 2\n").is_err());
        assert!(parse_str("? a\n: b\n").is_err());
        assert!(parse_str("a: x\rb: y").is_err());
    }
}
