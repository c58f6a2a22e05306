//! The syntax tree the parser builds. Every node knows its byte span in the source, so the
//! editor can splice text without ever re-serializing anything.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use zeroize::Zeroizing;

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

/// Block scalar chomping indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Tag and anchor written before a node, with where they end.
#[derive(Debug, Clone, Default)]
pub(crate) struct Props {
    pub tag: Option<String>,
    pub anchor: Option<String>,
    /// One past the last byte of the properties (equals the node start when there are none).
    pub end: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// First byte of the node, properties included.
    pub start: usize,
    /// One past its last content byte (no trailing comment, no line break).
    pub end: usize,
    pub props: Props,
    pub kind: Kind,
    /// True inside a flow collection (or for the flow collection itself).
    pub flow: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// No content at all (`key:`), a null.
    Empty,
    Scalar(Scalar),
    Alias(String),
    Map(Map),
    Seq(Seq),
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub style: Style,
    /// The decoded value (quotes, escapes, folding and chomping applied); see [`ScalarText`].
    pub value: ScalarText,
    /// Boxed: most scalars have none, and every node is as big as its largest kind.
    pub block: Option<Box<BlockInfo>>,
}

impl Scalar {
    /// The decoded value.
    pub(crate) fn value(&self) -> &str {
        &self.value
    }
}

/// The parsed text, shared by the values that are slices of it; wiped when the last one
/// goes, as it may be a decrypted vault.
pub(crate) type Source = Arc<Zeroizing<String>>;

/// A decoded scalar value, which may be a secret. Most values are written as they read
/// (`key: value`, `'quoted'`): those are a range of the shared source text, so parsing a big
/// file does not copy and later wipe every value. Others (escapes, folded lines, block
/// scalars) are their own decoded copy, wiped when dropped.
#[derive(Clone)]
pub(crate) struct ScalarText(Repr);

#[derive(Clone)]
enum Repr {
    Slice(Source, Range<usize>),
    Owned(Zeroizing<String>),
}

impl ScalarText {
    pub(crate) fn slice(src: &Source, range: Range<usize>) -> Self {
        debug_assert!(src.get(range.clone()).is_some());
        ScalarText(Repr::Slice(Arc::clone(src), range))
    }

    pub(crate) fn owned(value: Zeroizing<String>) -> Self {
        ScalarText(Repr::Owned(value))
    }

    /// A copy of the value in its own wiped-on-drop buffer.
    pub(crate) fn to_zeroizing(&self) -> Zeroizing<String> {
        Zeroizing::new(self.to_string())
    }
}

impl Deref for ScalarText {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            Repr::Slice(src, range) => &src[range.clone()],
            Repr::Owned(s) => s,
        }
    }
}

impl PartialEq for ScalarText {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for ScalarText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Possibly a secret: its size only.
        write!(f, "ScalarText(<{} bytes>)", self.len())
    }
}

/// Layout of a `|` / `>` block scalar.
#[derive(Debug, Clone)]
pub(crate) struct BlockInfo {
    /// One past the header indicators (`|`, `|-`, `>2+`, ...).
    pub header_end: usize,
    /// Indentation of the content lines (absolute column).
    pub indent: usize,
    /// Start of the first content line, if there is one.
    pub first_line: Option<usize>,
    /// End of the last content line (kept trailing blank lines of `|+` excluded).
    pub content_end: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Map {
    /// Column of the keys (block mappings).
    pub indent: usize,
    pub pairs: Vec<Pair>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub key: Key,
    /// Byte offset of the `:`.
    pub colon: usize,
    pub value: Node,
    /// The key follows `- ` on its line (first key of a block sequence item).
    pub compact: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Key {
    /// The decoded key (keys are read like any scalar, so most are slices of the source).
    pub text: ScalarText,
    pub span: Range<usize>,
    pub style: Style,
}

impl Key {
    /// The decoded key.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Seq {
    pub items: Vec<Node>,
}

impl Node {
    pub(crate) fn has_props(&self) -> bool {
        self.props.tag.is_some() || self.props.anchor.is_some()
    }

    pub(crate) fn is_vault(&self) -> bool {
        self.props.tag.as_deref().is_some_and(is_vault_tag) && matches!(self.kind, Kind::Scalar(_))
    }
}

/// `!vault` and its deprecated alias `!vault-encrypted`.
pub(crate) fn is_vault_tag(tag: &str) -> bool {
    matches!(tag, "!vault" | "!vault-encrypted")
}

/// The parsed document.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub root: Node,
    /// Start of the `...` line ending the document, if any.
    pub end_marker: Option<usize>,
    /// Anchors some alias refers to.
    pub referenced: std::collections::HashSet<String>,
}
