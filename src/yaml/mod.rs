//! Lossless, span-based editing of hand-written YAML (vars files, vault plaintexts, the
//! manifest): find a key, replace its value, insert, remove, re-encrypt inline `!vault` values.
//!
//! Text in, text out: no file I/O, no crypto. Every byte an edit does not target stays as it
//! was (comments, blank lines, quoting, indentation, CRLF, BOM, document markers). Nothing is
//! ever re-serialized: [`Doc::apply`] splices text at the byte spans found by the parser, then
//! re-reads the result with our parser and, independently, with serde-saphyr, and returns an
//! error instead of text unless exactly the intended keys changed.
//!
//! Paths are lists of decoded keys (`["a", "b"]` for `a:` → `b:`); a block sequence item is
//! addressed as `"[N]"` on the way to a mapping entry (edits target mapping entries only).
//!
//! How new values are written:
//! - strings: see [`quote_scalar`]; a multi-line string becomes a `|` (or `|-`) literal block
//!   indented under its key by the file's usual step (2 when it has no nested mapping);
//! - new `!vault |` blocks, exactly as `ansible-vault encrypt_string` lays them out, indented
//!   relative to their key by the offset the file's existing `!vault` blocks use most, else by
//!   10 (encrypt_string's 10 columns for a top-level key; key column + 10 when nested);
//! - re-encrypting an existing `!vault` block keeps its header line (`!vault |-`,
//!   `!vault-encrypted |`, a trailing comment) and its indentation, and swaps only its lines;
//! - a block is indented further if comment lines right below it would otherwise join it;
//! - inserted lines use the file's line ending (that of its first line); a file without a
//!   final line break keeps lacking one.

mod edit;
mod error;
pub mod limits;
mod model;
mod parse;
mod quote;
mod resolve;
mod secret;
mod tree;
mod verify;
pub mod view;

#[cfg(test)]
mod fuzz_tests;

use std::fmt;
use std::ops::Range;

use zeroize::Zeroizing;

pub use error::YamlError;
pub use quote::{format_vault_block, quote_scalar};

use error::LineIndex;
use tree::Parsed;
use verify::Val;

/// A parsed view over YAML source text. Cheap to query; edits produce new text.
pub struct Doc {
    text: String,
    lines: LineIndex,
    parsed: Parsed,
    /// serde-saphyr's independent reading, for the checks after an edit.
    saphyr: Val,
}

// A Doc is often a decrypted vault's plaintext: wipe the source text when done.
impl Drop for Doc {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.text);
    }
}

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text may be a decrypted vault: never show it.
        write!(f, "Doc({} bytes)", self.text.len())
    }
}

/// One mapping entry (`key: value`), anywhere in the document.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// Decoded keys from the top; `"[N]"` for items of block sequences on the way.
    pub path: Vec<String>,
    /// The key as written, quotes included.
    pub key_span: Range<usize>,
    /// From the value's first byte (tag and anchor included) to its last content byte;
    /// empty, just after the `:`, when the value is empty.
    pub value_span: Range<usize>,
    /// 1-based line of the key.
    pub line: usize,
    pub value: ValueKind,
    /// Set when the path reaches this value through an alias (`*name`) or a merge key
    /// (`<<: *name`): the value is defined elsewhere (the spans and `line` are there), and is
    /// edited only where it is defined. `None` for an entry written at its own path.
    pub through: Option<Through>,
}

/// Where a value reached through an alias or a merge is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Through {
    /// The anchor's name (`None` for a mapping written inline after `<<:`).
    pub anchor: Option<String>,
    /// 1-based line of the anchor (or of the `<<:` key).
    pub line: usize,
}

/// What an entry holds.
#[derive(Clone, PartialEq, Eq)]
pub enum ValueKind {
    /// A string, or a plain scalar that YAML 1.1 types otherwise (`yes`, `0755`): its text,
    /// decoded (quotes, escapes, folding and chomping applied). `!!str` and `!unsafe` too.
    /// Wiped when dropped: it may be a secret.
    Scalar(Zeroizing<String>),
    /// A `!vault` (or `!vault-encrypted`) tagged string.
    Vault(InlineVault),
    Mapping,
    Sequence,
    /// An empty value, `~` or `null`.
    Null,
    /// An alias, or a value with another tag.
    Other,
}

/// An inline vaulted value (`key: !vault |` and its block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineVault {
    pub path: Vec<String>,
    /// The scalar's value: dedented, lines joined by LF, trailing LF per the chomping
    /// indicator. Exactly what ansible hands to the decryptor.
    pub vault_text: String,
    /// The vault-id label from a `$ANSIBLE_VAULT;1.2;AES256;label` header.
    pub label: Option<String>,
    /// Bytes to replace when re-encrypting: for a block, its lines (from the line after the
    /// `!vault |` header through the line break of its last line); for a quoted value, the
    /// value itself, tag included. [`Doc::apply`] with [`Edit::Replace`] does this for you.
    pub span: Range<usize>,
    /// Indentation (columns) of the block's lines; for a quoted value, the indentation a
    /// block written in its place would get.
    pub indent: usize,
    /// 1-based line of the key (or of the value for a sequence item).
    pub line: usize,
}

/// A value to write.
#[derive(Clone, PartialEq, Eq)]
pub enum NewValue {
    /// A string, quoted as needed so YAML 1.1 reads back exactly it (see [`quote_scalar`]);
    /// multi-line strings become a `|` block when one can hold them exactly. Wiped when
    /// dropped: it may be a secret.
    Plain(Zeroizing<String>),
    /// An inline vault, written as a `!vault |` block (see [`format_vault_block`]).
    Vault { vault_text: String },
    /// A block mapping of new values, in this order (`{}` when empty), indented under its
    /// key by the file's usual step.
    Map(Vec<(String, NewValue)>),
    /// One line of YAML written as it is (`2026-11-23`, `dual`, `{at: .., event: ..}`): for
    /// values vaultrot owns and wants in the file's natural style. Checked like any edit:
    /// the result must read back as this text reads on its own.
    Raw(String),
    /// A block sequence of one-line items (`- item`), indented under its key.
    List(Vec<NewValue>),
}

impl NewValue {
    /// A [`NewValue::Plain`] string.
    pub fn plain(s: impl Into<String>) -> Self {
        NewValue::Plain(Zeroizing::new(s.into()))
    }
}

/// One edit of a batch given to [`Doc::apply`]. Edits apply in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// New value for an existing entry; the key, its spacing and everything around stay.
    Replace { path: Vec<String>, value: NewValue },
    /// A new entry right after `after`'s value, at `after`'s indentation.
    InsertAfter {
        after: Vec<String>,
        key: String,
        value: NewValue,
    },
    /// A new entry at the end of the mapping `parent` (empty = the top level). An empty
    /// parent value (`parent:`) becomes a mapping.
    Append {
        parent: Vec<String>,
        key: String,
        value: NewValue,
    },
    /// Deletes the entry's lines (key line and value lines) and nothing else.
    Remove { path: Vec<String> },
    /// Appends a one-line item to the block sequence at `path`, after its last item and at
    /// its items' indentation.
    Push { path: Vec<String>, value: NewValue },
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("path", &self.path)
            .field("key_span", &self.key_span)
            .field("value_span", &self.value_span)
            .field("line", &self.line)
            .field("value", &self.value)
            .field("through", &self.through)
            .finish()
    }
}

impl fmt::Debug for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Possibly a secret: show its size only.
            ValueKind::Scalar(s) => write!(f, "Scalar(<{} bytes>)", s.len()),
            ValueKind::Vault(v) => f.debug_tuple("Vault").field(v).finish(),
            ValueKind::Mapping => f.write_str("Mapping"),
            ValueKind::Sequence => f.write_str("Sequence"),
            ValueKind::Null => f.write_str("Null"),
            ValueKind::Other => f.write_str("Other"),
        }
    }
}

impl fmt::Debug for NewValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NewValue::Plain(s) => write!(f, "Plain(<{} bytes>)", s.len()),
            NewValue::Vault { vault_text } => f
                .debug_struct("Vault")
                .field("vault_text", vault_text)
                .finish(),
            NewValue::Raw(_) => f.write_str("Raw(..)"),
            NewValue::List(items) => write!(f, "List({} items)", items.len()),
            NewValue::Map(entries) => f
                .debug_map()
                .entries(entries.iter().map(|(k, v)| (k, v)))
                .finish(),
        }
    }
}

/// The span parser alone, without serde-saphyr's cross-check: for the `yaml_parse` benchmark.
/// Returns the number of entries of the top-level mapping.
#[doc(hidden)]
pub fn parse_tree_for_bench(text: &str) -> Result<usize, YamlError> {
    let lines = LineIndex::new(text);
    let parsed = parse::parse(text, &lines)?;
    Ok(match &parsed.root.kind {
        tree::Kind::Map(m) => m.pairs.len(),
        _ => 0,
    })
}

impl Doc {
    /// Parses `text`. Refuses duplicate keys (at any level), several documents, and text
    /// that our parser and serde-saphyr do not read identically; errors carry line:column.
    pub fn parse(text: &str) -> Result<Doc, YamlError> {
        let lines = LineIndex::new(text);
        let parsed = parse::parse(text, &lines)?;
        let mut saphyr = verify::saphyr_val(text)?;
        if let Err(pos) = verify::agrees(&parsed.root, &mut saphyr, text.len()) {
            let (line, column) = lines.line_col(text, pos);
            return Err(YamlError::Unsupported {
                line,
                column,
                what: "YAML that the two readers (vaultrot's and serde-saphyr) understand \
                       differently"
                    .into(),
            });
        }
        Ok(Doc {
            text: text.to_string(),
            lines,
            parsed,
            saphyr,
        })
    }

    /// The source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every mapping entry in document order, nested ones included.
    pub fn entries(&self) -> Vec<Entry> {
        model::entries(self)
    }

    /// The entry at `path`, as Ansible reads the file: aliases are followed and merge keys
    /// (`<<: *base`) give their keys to the mapping (its own keys first, then each merged
    /// mapping in order). An entry reached that way says so in [`Entry::through`].
    pub fn get(&self, path: &[&str]) -> Option<Entry> {
        model::lookup(self, path)
    }

    /// Keys of the top-level mapping (empty when the document is not a mapping).
    pub fn top_level_keys(&self) -> Vec<String> {
        match &self.parsed.root.kind {
            tree::Kind::Map(m) => m.pairs.iter().map(|p| p.key.text().to_string()).collect(),
            _ => Vec::new(),
        }
    }

    /// Every `!vault` tagged value, in document order (sequence items included).
    pub fn inline_vaults(&self) -> Vec<InlineVault> {
        model::inline_vaults(self)
    }

    /// Applies a batch of edits and returns the new text, or an error and no text.
    ///
    /// The result is re-parsed by both readers; every entry not edited must read exactly as
    /// before and every edited one as intended, or [`YamlError::Verification`] is returned.
    pub fn apply(&self, edits: &[Edit]) -> Result<String, YamlError> {
        edit::apply(self, edits)
    }
}
