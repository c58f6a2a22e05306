//! A read-only view of YAML text as the span parser reads it, for readers that map a
//! document onto their own types (the manifest, a vault's top-level keys) instead of
//! editing it. No serde-saphyr cross-check: the editor needs that before it writes, a
//! reader does not, and reading a 10,000-secret manifest must stay fast. The limits of
//! [`super::limits`] apply (the parser checks them).
//!
//! Nodes carry 1-based line:column positions. Scalars carry their decoded text and
//! whether they were written plain; [`Scalar::typed`] gives YAML 1.1's reading of a
//! plain scalar (as PyYAML, and so Ansible, types it). Tags, anchors and aliases are
//! reported, not interpreted: each reader decides what it accepts.

use super::error::{LineIndex, YamlError};
use super::resolve::{Resolved, int_value, resolve_plain};
use super::tree::{self, Kind, Style};
use super::{parse, tree::Parsed};

/// Parsed YAML text.
pub struct Tree<'t> {
    text: &'t str,
    lines: LineIndex,
    parsed: Parsed,
}

impl<'t> Tree<'t> {
    /// Parses one document; errors (syntax, duplicate keys, limits) carry line:column.
    pub fn parse(text: &'t str) -> Result<Tree<'t>, YamlError> {
        let lines = LineIndex::new(text);
        let parsed = parse::parse(text, &lines)?;
        Ok(Tree {
            text,
            lines,
            parsed,
        })
    }

    /// The document's top node.
    pub fn root(&self) -> Node<'_> {
        Node {
            tree: self,
            node: &self.parsed.root,
        }
    }

    /// 1-based line and column (in characters) of byte offset `at`.
    fn pos(&self, at: usize) -> Pos {
        let (line, column) = self.lines.line_col(self.text, at);
        Pos { line, column }
    }
}

/// A 1-based line and column (counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// One node of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Node<'a> {
    tree: &'a Tree<'a>,
    node: &'a tree::Node,
}

/// What a node holds.
pub enum Value<'a> {
    /// No content (`key:`), or a plain `~` / `null`.
    Null,
    Scalar(Scalar<'a>),
    Map(Map<'a>),
    Seq(Seq<'a>),
    /// `*name`.
    Alias(&'a str),
}

/// A mapping's entries, in file order.
#[derive(Clone, Copy)]
pub struct Map<'a> {
    tree: &'a Tree<'a>,
    pairs: &'a [tree::Pair],
}

impl<'a> Map<'a> {
    pub fn iter(&self) -> impl Iterator<Item = (Key<'a>, Node<'a>)> + use<'a> {
        let tree = self.tree;
        self.pairs.iter().map(move |pair| {
            let key = Key {
                tree,
                text: &pair.key.text,
                plain: pair.key.style == Style::Plain,
                at: pair.key.span.start,
            };
            (
                key,
                Node {
                    tree,
                    node: &pair.value,
                },
            )
        })
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A sequence's items.
#[derive(Clone, Copy)]
pub struct Seq<'a> {
    tree: &'a Tree<'a>,
    items: &'a [tree::Node],
}

impl<'a> Seq<'a> {
    pub fn iter(&self) -> impl Iterator<Item = Node<'a>> + use<'a> {
        let tree = self.tree;
        self.items.iter().map(move |node| Node { tree, node })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A scalar's decoded text and how it was written.
#[derive(Clone, Copy)]
pub struct Scalar<'a> {
    pub text: &'a str,
    /// Written without quotes and not as a `|`/`>` block: YAML 1.1 types it.
    pub plain: bool,
}

/// A mapping key: its decoded text, how it was written, where.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    tree: &'a Tree<'a>,
    pub text: &'a str,
    pub plain: bool,
    /// Byte offset; [`Key::pos`] turns it into line:column only when asked, as most
    /// keys are never reported.
    at: usize,
}

impl Key<'_> {
    pub fn pos(&self) -> Pos {
        self.tree.pos(self.at)
    }

    /// `<<`, a merge key.
    pub fn is_merge(&self) -> bool {
        self.plain && self.text == "<<"
    }
}

/// YAML 1.1's reading of a scalar (PyYAML's resolver); quoted and block scalars are
/// always strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed {
    Null,
    Bool(bool),
    /// An integer (decimal, `0o` octal as `0755`, `0x`, `0b`, `1:30` sexagesimal); `None`
    /// when it does not fit an i64.
    Int(Option<i64>),
    Float,
    Timestamp,
    Str,
}

impl Scalar<'_> {
    pub fn typed(&self) -> Typed {
        if !self.plain {
            return Typed::Str;
        }
        match resolve_plain(self.text) {
            Resolved::Null => Typed::Null,
            Resolved::Bool(b) => Typed::Bool(b),
            Resolved::Int => Typed::Int(int_value(self.text).and_then(|v| v.parse().ok())),
            Resolved::Float => Typed::Float,
            Resolved::Timestamp => Typed::Timestamp,
            Resolved::Merge | Resolved::Value | Resolved::Str => Typed::Str,
        }
    }
}

impl<'a> Node<'a> {
    /// Where the node's content starts (after any tag and anchor).
    pub fn pos(&self) -> Pos {
        let start = if self.node.has_props() {
            skip_blank(self.tree.text, self.node.props.end)
        } else {
            self.node.start
        };
        self.tree.pos(start)
    }

    /// Where the node starts, its tag or anchor included.
    pub fn start_pos(&self) -> Pos {
        self.tree.pos(self.node.start)
    }

    /// The tag as written (`!vault`, `!!str`), if any.
    pub fn tag(&self) -> Option<&'a str> {
        self.node.props.tag.as_deref()
    }

    /// The anchor's name (`&name`), if any.
    pub fn anchor(&self) -> Option<&'a str> {
        self.node.props.anchor.as_deref()
    }

    pub fn value(&self) -> Value<'a> {
        let tree = self.tree;
        match &self.node.kind {
            Kind::Empty => Value::Null,
            Kind::Scalar(s) => {
                let scalar = Scalar {
                    text: scalar_text(s),
                    plain: s.style == Style::Plain,
                };
                if self.is_null() {
                    Value::Null
                } else {
                    Value::Scalar(scalar)
                }
            }
            Kind::Alias(name) => Value::Alias(name),
            Kind::Map(m) => Value::Map(Map {
                tree,
                pairs: &m.pairs,
            }),
            Kind::Seq(s) => Value::Seq(Seq {
                tree,
                items: &s.items,
            }),
        }
    }

    /// Whether the node is null: empty, `~` or `null` (untagged).
    pub fn is_null(&self) -> bool {
        match &self.node.kind {
            Kind::Empty => true,
            Kind::Scalar(s) => {
                let text = scalar_text(s);
                // Every null spelling is at most 4 bytes: skip the resolver for the rest,
                // as this is asked of every value a reader visits.
                self.tag().is_none()
                    && s.style == Style::Plain
                    && text.len() <= 4
                    && resolve_plain(text) == Resolved::Null
            }
            _ => false,
        }
    }
}

/// The decoded text of a scalar: the one place that reads it from the tree.
fn scalar_text(s: &tree::Scalar) -> &str {
    &s.value
}

/// The first byte at or after `at` that is not a space, tab, line break or comment.
fn skip_blank(text: &str, mut at: usize) -> usize {
    let b = text.as_bytes();
    while at < b.len() {
        match b[at] {
            b' ' | b'\t' | b'\n' | b'\r' => at += 1,
            b'#' => {
                while at < b.len() && b[at] != b'\n' {
                    at += 1;
                }
            }
            _ => break,
        }
    }
    at
}

/// The top-level keys of a YAML mapping (a vault's variables), with positions; none for
/// an empty document. Errors say where, on one line.
pub fn top_level_keys(text: &str) -> Result<Vec<(String, Pos)>, String> {
    let tree = Tree::parse(text).map_err(|e| e.to_string())?;
    let root = tree.root();
    match root.value() {
        Value::Null => Ok(Vec::new()),
        Value::Map(map) => Ok(map
            .iter()
            .map(|(key, _)| (key.text.to_string(), key.pos()))
            .collect()),
        _ => {
            let at = root.pos();
            Err(format!(
                "line {}, column {}: expected a mapping (`key: value` lines)",
                at.line, at.column
            ))
        }
    }
}

/// Whether `text` is a YAML document with nothing in it (only comments, `---`, `~`).
pub fn is_empty_document(text: &str) -> bool {
    Tree::parse(text).is_ok_and(|tree| tree.root().is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, usize, usize)> {
        top_level_keys(text)
            .unwrap()
            .into_iter()
            .map(|(k, p)| (k, p.line, p.column))
            .collect()
    }

    #[test]
    fn positions_and_typing() {
        let tree = Tree::parse("a:\n  b: 'x'\n  c: [1, yes, ~]\n  d: é\n  é: &n 0755\n").unwrap();
        let Value::Map(top) = tree.root().value() else {
            panic!()
        };
        let top: Vec<_> = top.iter().collect();
        let Value::Map(inner) = top[0].1.value() else {
            panic!()
        };
        let inner: Vec<_> = inner.iter().collect();
        assert_eq!(inner[0].1.pos(), Pos { line: 2, column: 6 });
        let Value::Scalar(b) = inner[0].1.value() else {
            panic!()
        };
        assert_eq!((b.text, b.plain, b.typed()), ("x", false, Typed::Str));
        let Value::Seq(items) = inner[1].1.value() else {
            panic!()
        };
        let items: Vec<_> = items.iter().collect();
        assert_eq!(
            items[1].pos(),
            Pos {
                line: 3,
                column: 10
            }
        );
        assert!(items[2].is_null());
        let Value::Scalar(one) = items[0].value() else {
            panic!()
        };
        assert_eq!(one.typed(), Typed::Int(Some(1)));
        assert_eq!(inner[3].0.pos(), Pos { line: 5, column: 3 });
        let n = inner[3].1;
        assert_eq!(n.anchor(), Some("n"));
        assert_eq!(n.pos(), Pos { line: 5, column: 9 });
        assert_eq!(n.start_pos(), Pos { line: 5, column: 6 });
        let Value::Scalar(octal) = n.value() else {
            panic!()
        };
        assert_eq!(octal.typed(), Typed::Int(Some(493)));
    }

    #[test]
    fn top_level_keys_of_a_vars_file() {
        assert_eq!(
            keys("# vars\na: 1\n'b c': !vault |\n  $ANSIBLE\n"),
            vec![("a".into(), 2, 1), ("b c".into(), 3, 1)]
        );
        assert!(keys("").is_empty());
        assert!(keys("---\n# nothing\n").is_empty());
        assert!(
            top_level_keys("- a\n")
                .unwrap_err()
                .contains("line 1, column 1")
        );
        assert!(
            top_level_keys("a: 1\na: 2\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(is_empty_document("# c\n---\n"));
        assert!(is_empty_document("~\n"));
        assert!(!is_empty_document("a: 1\n"));
        assert!(!is_empty_document("a: [\n"));
    }
}
