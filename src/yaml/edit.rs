//! Turning a batch of edits into byte splices of the original text, then checking that the
//! result reads back as intended before anyone gets to see it.

use std::collections::{HashMap, HashSet};

use super::error::YamlError;
use super::model::{self, Located};
use super::quote::{literal_block, quote_scalar, quote_secret};
use super::secret::{SecretBuf, concat};
use super::tree::{Kind, Node, Pair, Style};
use super::verify::{Reader, apply_expected, first_difference, own_val};
use super::{Doc, Edit, NewValue};

use zeroize::Zeroizing;

/// Rendered text that may hold a value.
type Text = Zeroizing<String>;

fn empty() -> Text {
    Zeroizing::new(String::new())
}

/// Replace `start..end` of the original text by `text`.
struct Splice {
    start: usize,
    end: usize,
    /// May hold a secret (a new value): wiped when dropped.
    text: Text,
    /// Among insertions at one position: a replaced value's lines before new entries.
    prio: u8,
    /// Among new entries at one position: those of deeper mappings first (they belong to
    /// the value of the entry the shallower ones follow).
    depth: usize,
    seq: usize,
    path: String,
}

/// A mapping that gets new entries or loses/changes old ones, in its final key order.
struct ParentPlan<'d> {
    path: Vec<String>,
    /// The mapping, or the empty value (or empty document) that becomes one.
    node: &'d Node,
    /// The entry whose value `node` is (`None` for the document root).
    owner: Option<&'d Pair>,
    slots: Vec<Slot<'d>>,
}

struct Slot<'d> {
    key: String,
    orig: Option<&'d Pair>,
    new: Option<&'d NewValue>,
}

struct Planner<'d> {
    doc: &'d Doc,
    eol: &'static str,
    /// Paths replaced or removed.
    changed: HashSet<Vec<String>>,
    /// Every strict prefix of every path touched so far.
    prefixes: HashSet<Vec<String>>,
    parents: Vec<ParentPlan<'d>>,
    parent_index: HashMap<Vec<String>, usize>,
    splices: Vec<Splice>,
    /// Replacements to render: (edit index, path, entry, new value).
    replaces: Vec<(usize, Vec<String>, &'d Pair, &'d NewValue)>,
    /// Line ranges the batch deletes, by start.
    removed: HashMap<usize, usize>,
    /// The file's habits: nested mapping indentation, `!vault` block indentation.
    indent_step: usize,
    vault_offset: usize,
}

fn show(path: &[String]) -> String {
    path.join(".")
}

pub(crate) fn apply(doc: &Doc, edits: &[Edit]) -> Result<String, YamlError> {
    if edits.is_empty() {
        return Ok(doc.text.clone());
    }
    let mut plan = Planner {
        doc,
        eol: line_ending(&doc.text),
        changed: HashSet::new(),
        prefixes: HashSet::new(),
        parents: Vec::new(),
        parent_index: HashMap::new(),
        splices: Vec::new(),
        replaces: Vec::new(),
        removed: HashMap::new(),
        indent_step: model::indent_step(doc),
        vault_offset: model::vault_offset(doc),
    };
    for (seq, e) in edits.iter().enumerate() {
        plan.add(seq, e)?;
    }
    plan.finish()?;
    let Planner { splices, eol, .. } = plan;
    // Wiped on every way out but success, where the caller takes it.
    let mut text = Zeroizing::new(splice(&doc.text, splices)?);
    // A file without a final line break keeps lacking one, unless that changes a value.
    let lacked_final_eol = !doc.text.is_empty() && !doc.text.ends_with('\n');
    if lacked_final_eol
        && let Some(stripped) = text.strip_suffix(eol)
        && check(doc, edits, stripped).is_ok()
    {
        // In place: a copy would leave the text (perhaps a secret) behind un-wiped.
        let len = stripped.len();
        text.truncate(len);
        return Ok(std::mem::take(&mut *text));
    }
    check(doc, edits, &text)?;
    Ok(std::mem::take(&mut *text))
}

/// The file's line ending: that of its first line.
fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Re-reads `new_text` with both readers and compares with the old readings plus `edits`.
fn check(doc: &Doc, edits: &[Edit], new_text: &str) -> Result<(), YamlError> {
    let fail = |detail: String| YamlError::Verification { detail };
    let new_doc =
        Doc::parse(new_text).map_err(|e| fail(format!("the edited text does not parse: {e}")))?;
    let mut expected = own_val(&doc.parsed.root);
    apply_expected(&mut expected, edits, Reader::Own)
        .map_err(|p| fail(format!("cannot follow the edits at `{p}`")))?;
    if let Some(p) = first_difference(&expected, &own_val(&new_doc.parsed.root)) {
        return Err(fail(format!(
            "vaultrot's reader finds `{p}` changed unexpectedly"
        )));
    }
    // serde-saphyr expands aliases: an edit at an anchor shows at every alias of it too.
    let edits = &with_alias_copies(doc, edits)?;
    let mut expected = doc.saphyr.clone();
    apply_expected(&mut expected, edits, Reader::Saphyr)
        .map_err(|p| fail(format!("cannot follow the edits at `{p}`")))?;
    if let Some(p) = first_difference(&expected, &new_doc.saphyr) {
        return Err(fail(format!(
            "serde-saphyr finds `{p}` changed unexpectedly"
        )));
    }
    Ok(())
}

/// Path of every alias (`*name`) in the document, by anchor name.
fn alias_paths(doc: &Doc) -> HashMap<&str, Vec<Vec<String>>> {
    fn go<'n>(n: &'n Node, path: &mut Vec<String>, out: &mut HashMap<&'n str, Vec<Vec<String>>>) {
        match &n.kind {
            Kind::Alias(name) => out.entry(name).or_default().push(path.clone()),
            Kind::Map(m) => {
                for p in &m.pairs {
                    path.push(p.key.text().to_string());
                    go(&p.value, path, out);
                    path.pop();
                }
            }
            Kind::Seq(s) => {
                for (i, item) in s.items.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    go(item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    go(&doc.parsed.root, &mut Vec::new(), &mut out);
    out
}

/// `edits` plus, for each edit at or inside an anchored node that aliases repeat, the same
/// edit at each alias (as a reader that expands aliases sees it).
fn with_alias_copies(doc: &Doc, edits: &[Edit]) -> Result<Vec<Edit>, YamlError> {
    let aliases = alias_paths(doc);
    let mut out = edits.to_vec();
    if aliases.is_empty() {
        return Ok(out);
    }
    let mut i = 0;
    while i < out.len() {
        let e = out[i].clone();
        i += 1;
        // The path of the node the edit changes (for an insertion, its mapping).
        let path = match &e {
            Edit::Replace { path, .. } | Edit::Remove { path } | Edit::Push { path, .. } => path,
            Edit::InsertAfter { after, .. } => &after[..after.len().saturating_sub(1)],
            Edit::Append { parent, .. } => parent,
        };
        for n in 1..=path.len() {
            let Some(loc) = model::locate(doc, &path[..n]) else {
                break;
            };
            let node = *loc.chain.last().expect("the chain holds the target");
            let Some(anchor) = &node.props.anchor else {
                continue;
            };
            for x in aliases.get(anchor.as_str()).into_iter().flatten() {
                out.push(rebase(&e, n, x));
                if out.len() > 10_000 {
                    return Err(YamlError::Verification {
                        detail: "too many aliases repeat the edited values".into(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// `e` with the first `n` segments of its path replaced by `to`.
fn rebase(e: &Edit, n: usize, to: &[String]) -> Edit {
    let re = |p: &[String]| -> Vec<String> { to.iter().chain(&p[n..]).cloned().collect() };
    match e {
        Edit::Replace { path, value } => Edit::Replace {
            path: re(path),
            value: value.clone(),
        },
        Edit::Remove { path } => Edit::Remove { path: re(path) },
        Edit::InsertAfter { after, key, value } => Edit::InsertAfter {
            after: re(after),
            key: key.clone(),
            value: value.clone(),
        },
        Edit::Append { parent, key, value } => Edit::Append {
            parent: re(parent),
            key: key.clone(),
            value: value.clone(),
        },
        Edit::Push { path, value } => Edit::Push {
            path: re(path),
            value: value.clone(),
        },
    }
}

fn splice(text: &str, mut splices: Vec<Splice>) -> Result<String, YamlError> {
    splices.sort_by_key(|s| {
        (
            s.start,
            s.end != s.start,
            s.prio,
            std::cmp::Reverse(s.depth),
            s.seq,
        )
    });
    let lacks_final_eol = !text.is_empty() && !text.ends_with('\n');
    let eol = line_ending(text);
    // Sized once, with room for the line break a file lacking a final one may get: the
    // text may be a plaintext, and a String that grows leaves its old buffer un-wiped.
    let mut out = Zeroizing::new(String::with_capacity(
        text.len() + eol.len() + splices.iter().map(|s| s.text.len()).sum::<usize>(),
    ));
    let mut cursor = 0;
    for s in splices {
        if s.start < cursor {
            return Err(YamlError::Conflict { path: s.path });
        }
        out.push_str(&text[cursor..s.start]);
        if lacks_final_eol && s.start == text.len() && !s.text.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
        out.push_str(&s.text);
        cursor = s.end;
    }
    out.push_str(&text[cursor..]);
    Ok(std::mem::take(&mut *out))
}

impl<'d> Planner<'d> {
    fn not_editable(&self, path: &[String], pos: usize, reason: impl Into<String>) -> YamlError {
        YamlError::NotEditable {
            path: show(path),
            line: self.doc.lines.line_of(pos) + 1,
            reason: reason.into(),
        }
    }

    fn locate(&self, path: &[String]) -> Result<Located<'d>, YamlError> {
        model::locate(self.doc, path).ok_or_else(|| YamlError::NotFound { path: show(path) })
    }

    /// Records `path` as touched; `replaces` for Replace/Remove.
    fn touch(&mut self, path: &[String], replaces: bool) -> Result<(), YamlError> {
        let conflict = || YamlError::Conflict { path: show(path) };
        if (1..path.len()).any(|n| self.changed.contains(&path[..n])) {
            return Err(conflict());
        }
        if replaces && (self.changed.contains(path) || self.prefixes.contains(path)) {
            return Err(conflict());
        }
        for n in 1..path.len() {
            self.prefixes.insert(path[..n].to_vec());
        }
        if replaces {
            self.changed.insert(path.to_vec());
        }
        Ok(())
    }

    /// An edit inside an anchored node is made there, at the anchor, and every alias (or
    /// merge) of it reads the new value, as Ansible will. Refused only when the edit would
    /// leave an alias without its anchor: removing `target` or replacing what is inside it
    /// (a replaced value keeps its own anchor).
    fn guard_anchors(
        &self,
        path: &[String],
        target: &Node,
        keeps_own_anchor: bool,
    ) -> Result<(), YamlError> {
        let referenced = &self.doc.parsed.referenced;
        let found = if keeps_own_anchor {
            children_define_referenced(target, referenced)
        } else {
            defines_referenced(target, referenced)
        };
        if let Some((a, pos)) = found {
            return Err(self.not_editable(
                path,
                pos,
                format!("it defines &{a}, which an alias (*{a}) uses"),
            ));
        }
        Ok(())
    }

    fn parent_plan(&mut self, parent_path: &[String]) -> Result<usize, YamlError> {
        if let Some(&i) = self.parent_index.get(parent_path) {
            return Ok(i);
        }
        let loc = self.locate(parent_path)?;
        let node = *loc.chain.last().expect("the chain holds the root");
        let slots = match &node.kind {
            Kind::Map(m) if !node.flow => m
                .pairs
                .iter()
                .map(|p| Slot {
                    key: p.key.text().to_string(),
                    orig: Some(p),
                    new: None,
                })
                .collect(),
            Kind::Map(_) | Kind::Seq(_) if node.flow => {
                return Err(self.not_editable(
                    parent_path,
                    node.start,
                    "it is a flow collection ({...} or [...])",
                ));
            }
            Kind::Empty if !node.has_props() => Vec::new(),
            _ => {
                return Err(YamlError::NotAMapping {
                    path: show(parent_path),
                });
            }
        };
        self.parents.push(ParentPlan {
            path: parent_path.to_vec(),
            node,
            owner: loc.pair,
            slots,
        });
        self.parent_index
            .insert(parent_path.to_vec(), self.parents.len() - 1);
        Ok(self.parents.len() - 1)
    }

    fn add(&mut self, seq: usize, e: &'d Edit) -> Result<(), YamlError> {
        match e {
            Edit::Replace { path, value } => self.replace_or_remove(seq, path, Some(value)),
            Edit::Remove { path } => self.replace_or_remove(seq, path, None),
            Edit::InsertAfter { after, key, value } => {
                let Some((anchor, parent)) = after.split_last() else {
                    return Err(YamlError::NotFound {
                        path: String::new(),
                    });
                };
                self.insert(parent, Some(anchor), key, value)
            }
            Edit::Append { parent, key, value } => self.insert(parent, None, key, value),
            Edit::Push { path, value } => self.push(seq, path, value),
        }
    }

    /// Appends one item to the block sequence at `path`, at its items' indentation.
    fn push(&mut self, seq: usize, path: &[String], value: &'d NewValue) -> Result<(), YamlError> {
        let doc = self.doc;
        let loc = self.locate(path)?;
        let target = *loc.chain.last().expect("the chain holds the target");
        let not_a_list = || YamlError::NotEditable {
            path: show(path),
            line: doc.lines.line_of(target.start) + 1,
            reason: "items can only be appended to a non-empty block sequence".into(),
        };
        let Kind::Seq(list) = &target.kind else {
            return Err(not_a_list());
        };
        let (Some(first), Some(last)) = (list.items.first(), list.items.last()) else {
            return Err(not_a_list());
        };
        if target.flow {
            return Err(not_a_list());
        }
        self.touch(path, false)?;
        let dash = doc.text[..first.start].rfind('-').ok_or_else(not_a_list)?;
        let dash_col = doc.col(dash);
        let gap = first.start.saturating_sub(dash + 1).max(1);
        let mut item_path = path.to_vec();
        item_path.push(format!("[{}]", list.items.len()));
        let pos = doc.lines.next_line(last.end);
        let (head, body) = self.render(&item_path, value, dash_col + 1 + gap, self.tail(pos))?;
        if !body.is_empty() || head.is_empty() {
            return Err(YamlError::InvalidValue {
                path: show(&item_path),
                reason: "only one-line items can be appended".into(),
            });
        }
        let lead = if pos == doc.text.len() && !doc.text.is_empty() && !doc.text.ends_with('\n') {
            self.eol
        } else {
            ""
        };
        let text = concat(&[
            lead,
            &" ".repeat(dash_col),
            "-",
            &" ".repeat(gap),
            &head,
            self.eol,
        ]);
        self.splices.push(Splice {
            start: pos,
            end: pos,
            text,
            prio: 0,
            depth: path.len(),
            seq,
            path: show(path),
        });
        Ok(())
    }

    fn replace_or_remove(
        &mut self,
        seq: usize,
        path: &[String],
        value: Option<&'d NewValue>,
    ) -> Result<(), YamlError> {
        let Some((last, parent_path)) = path.split_last() else {
            return Err(YamlError::NotFound {
                path: String::new(),
            });
        };
        let loc = self.locate(path)?;
        let target = *loc.chain.last().expect("the chain holds the target");
        let Some(pair) = loc.pair else {
            // An inline vault as a list item (`- !vault |`) is re-encrypted in place.
            if let Some(NewValue::Vault { vault_text }) = value
                && let Some(lines) = self.vault_block_lines(path, target, vault_text)
            {
                let (start, end, text) = lines?;
                self.touch(path, true)?;
                self.splices.push(Splice {
                    start,
                    end,
                    text,
                    prio: 0,
                    depth: 0,
                    seq,
                    path: show(path),
                });
                return Ok(());
            }
            return Err(self.not_editable(
                path,
                target.start,
                "it is a sequence item; only mapping entries and inline vaults can be edited",
            ));
        };
        let parent = loc.chain[loc.chain.len() - 2];
        if parent.flow {
            return Err(self.not_editable(
                path,
                pair.key.span.start,
                "it is inside a flow collection ({...} or [...])",
            ));
        }
        if value.is_none() && pair.compact {
            return Err(self.not_editable(
                path,
                pair.key.span.start,
                "it is the first key of a sequence item ('- key:'); edit it by hand",
            ));
        }
        self.guard_anchors(path, target, value.is_some())?;
        self.touch(path, true)?;
        let pi = self.parent_plan(parent_path)?;
        let slot = self.parents[pi]
            .slots
            .iter()
            .position(|s| s.key == *last && s.orig.is_some())
            .ok_or_else(|| YamlError::NotFound { path: show(path) })?;
        let shown = show(path);
        match value {
            Some(v) => {
                self.parents[pi].slots[slot].new = Some(v);
                // Rendered once every removal is known (see `finish`).
                self.replaces.push((seq, path.to_vec(), pair, v));
            }
            None => {
                self.parents[pi].slots.remove(slot);
                let li = &self.doc.lines;
                let start = li.line_start(pair.key.span.start);
                // Removing the first key of a file keeps its byte-order mark.
                let start = if start == 0 && self.doc.text.starts_with('\u{feff}') {
                    3
                } else {
                    start
                };
                let end = li.next_line(pair.value.end.max(pair.colon + 1));
                self.removed.insert(start, end);
                self.splices.push(Splice {
                    start,
                    end,
                    text: empty(),
                    prio: 0,
                    depth: 0,
                    seq,
                    path: shown,
                });
            }
        }
        Ok(())
    }

    fn insert(
        &mut self,
        parent_path: &[String],
        anchor: Option<&String>,
        key: &str,
        value: &'d NewValue,
    ) -> Result<(), YamlError> {
        let mut path = parent_path.to_vec();
        path.push(key.to_string());
        self.touch(&path, false)?;
        let pi = self.parent_plan(parent_path)?;
        let slots = &mut self.parents[pi].slots;
        if slots.iter().any(|s| s.key == key) {
            return Err(YamlError::AlreadyExists { path: show(&path) });
        }
        let at = match anchor {
            Some(a) => {
                let i = slots.iter().position(|s| s.key == *a).ok_or_else(|| {
                    let mut p = parent_path.to_vec();
                    p.push(a.clone());
                    YamlError::NotFound { path: show(&p) }
                })?;
                i + 1
            }
            None => slots.len(),
        };
        slots.insert(
            at,
            Slot {
                key: key.to_string(),
                orig: None,
                new: Some(value),
            },
        );
        Ok(())
    }

    /// Renders the replacements and the new entries, now that all removals are known.
    fn finish(&mut self) -> Result<(), YamlError> {
        let replaces = std::mem::take(&mut self.replaces);
        for (seq, path, pair, value) in replaces {
            let shown = show(&path);
            let splices = self.replace_splices(&path, pair, value)?;
            self.splices
                .extend(splices.into_iter().map(|(start, end, text)| Splice {
                    start,
                    end,
                    text,
                    prio: 0,
                    depth: 0,
                    seq,
                    path: shown.clone(),
                }));
        }
        self.insertions()?;
        self.keep_final_block_value();
        Ok(())
    }

    /// A block scalar ending a text without a final line break has no trailing newline in
    /// its value; once text follows it, it would gain one, unless it is chomped (`|-`).
    fn keep_final_block_value(&mut self) {
        let text = &self.doc.text;
        let len = text.len();
        if text.is_empty()
            || text.ends_with('\n')
            || !self
                .splices
                .iter()
                .any(|s| s.start == len && !s.text.is_empty())
        {
            return;
        }
        let mut n = &self.doc.parsed.root;
        loop {
            n = match &n.kind {
                Kind::Map(m) if !n.flow => match m.pairs.last() {
                    Some(p) => &p.value,
                    None => return,
                },
                Kind::Seq(sq) if !n.flow => match sq.items.last() {
                    Some(i) => i,
                    None => return,
                },
                _ => break,
            };
        }
        let Kind::Scalar(sc) = &n.kind else { return };
        let Some(b) = &sc.block else { return };
        if n.end != len || n.is_vault() {
            return;
        }
        let header_start = if n.has_props() {
            text[n.props.end..]
                .find(['|', '>'])
                .map_or(n.start, |i| n.props.end + i)
        } else {
            n.start
        };
        let header = &text[header_start..b.header_end];
        if header.contains('-')
            || self
                .splices
                .iter()
                .any(|s| s.start < b.header_end && s.end > header_start)
        {
            return;
        }
        let (start, end) = match header.find('+') {
            Some(i) => (header_start + i, header_start + i + 1),
            None => (b.header_end, b.header_end),
        };
        self.splices.push(Splice {
            start,
            end,
            text: Zeroizing::new("-".into()),
            prio: 0,
            depth: 0,
            seq: usize::MAX,
            path: String::new(),
        });
    }

    /// Splices writing the new entries of every mapping, each run after the original entry
    /// it follows in the final order.
    fn insertions(&mut self) -> Result<(), YamlError> {
        let mut out = Vec::new();
        for plan in &self.parents {
            let mut last_orig: Option<&Pair> = None;
            let mut pending: Vec<(&str, &NewValue)> = Vec::new();
            for s in &plan.slots {
                match (s.orig, s.new) {
                    (Some(p), _) => {
                        self.flush(plan, last_orig, &mut pending, &mut out)?;
                        last_orig = Some(p);
                    }
                    (None, Some(v)) => pending.push((&s.key, v)),
                    (None, None) => {}
                }
            }
            self.flush(plan, last_orig, &mut pending, &mut out)?;
        }
        let seq0 = self.splices.len();
        self.splices.extend(
            out.into_iter()
                .enumerate()
                .map(|(i, (start, text, path, depth))| Splice {
                    start,
                    end: start,
                    text,
                    prio: 1,
                    depth,
                    seq: seq0 + i,
                    path,
                }),
        );
        Ok(())
    }

    fn flush(
        &self,
        plan: &ParentPlan<'d>,
        last_orig: Option<&Pair>,
        pending: &mut Vec<(&str, &NewValue)>,
        out: &mut Vec<(usize, Text, String, usize)>,
    ) -> Result<(), YamlError> {
        if pending.is_empty() {
            return Ok(());
        }
        let doc = self.doc;
        let li = &doc.lines;
        let pos = match (last_orig, &plan.node.kind) {
            (Some(p), _) => li.next_line(p.value.end.max(p.colon + 1)),
            (None, Kind::Map(m)) if !m.pairs.is_empty() => {
                let first = &m.pairs[0];
                if first.compact {
                    return Err(self.not_editable(
                        &plan.path,
                        first.key.span.start,
                        "new keys cannot go before the first key of a sequence item",
                    ));
                }
                li.line_start(first.key.span.start)
            }
            (None, _) => match plan.owner {
                Some(owner) => li.next_line(owner.value.end.max(owner.colon + 1)),
                None => doc.parsed.end_marker.unwrap_or(doc.text.len()),
            },
        };
        let indent = match (&plan.node.kind, plan.owner) {
            (Kind::Map(m), _) => m.indent,
            (_, Some(owner)) => doc.col(owner.key.span.start) + self.indent_step,
            (_, None) => 0,
        };
        let tail = self.tail(pos);
        let mut text = SecretBuf::default();
        let mut shown = String::new();
        for (key, value) in pending.drain(..) {
            let mut path = plan.path.clone();
            path.push(key.to_string());
            let qkey = quote_scalar(key);
            if qkey.len() > 1000 {
                return Err(YamlError::InvalidValue {
                    path: show(&path),
                    reason: "the key is longer than YAML allows for a plain mapping key".into(),
                });
            }
            let (head, body) = self.render(&path, value, indent, tail)?;
            text.push_str(&entry_line(indent, key, &head));
            text.push_str(self.eol);
            for l in body {
                text.push_str(&l);
                text.push_str(self.eol);
            }
            shown = show(&path);
        }
        out.push((pos, text.into_inner(), shown, plan.path.len()));
        Ok(())
    }

    /// The text of `value` for a key at column `key_col`: what follows `key: ` on its line,
    /// and the lines below it (without line endings).
    fn render(
        &self,
        path: &[String],
        value: &NewValue,
        key_col: usize,
        tail: Tail,
    ) -> Result<(Text, Vec<Text>), YamlError> {
        match value {
            NewValue::Plain(s) => {
                if let Some((header, lines)) = literal_block(s)
                    && !(tail.at_eof && header == "|")
                {
                    let pad = " ".repeat((key_col + self.indent_step).max(tail.floor));
                    let body = lines
                        .into_iter()
                        .map(|l| {
                            if l.is_empty() {
                                empty()
                            } else {
                                concat(&[&pad, l])
                            }
                        })
                        .collect();
                    return Ok((Zeroizing::new(header.to_string()), body));
                }
                Ok((quote_secret(s), Vec::new()))
            }
            NewValue::Vault { vault_text } => {
                check_vault_text(vault_text).map_err(|reason| YamlError::InvalidValue {
                    path: show(path),
                    reason: reason.into(),
                })?;
                let pad = " ".repeat((key_col + self.vault_offset).max(tail.floor));
                let body = vault_lines(vault_text)
                    .map(|l| concat(&[&pad, l]))
                    .collect();
                Ok((Zeroizing::new("!vault |".to_string()), body))
            }
            NewValue::Raw(text) => {
                if text.is_empty() || text.contains(['\n', '\r']) {
                    return Err(YamlError::InvalidValue {
                        path: show(path),
                        reason: "a raw value must be one non-empty line".into(),
                    });
                }
                Ok((Zeroizing::new(text.clone()), Vec::new()))
            }
            NewValue::List(items) if items.is_empty() => {
                Ok((Zeroizing::new("[]".to_string()), Vec::new()))
            }
            NewValue::List(items) => {
                let col = key_col + model::indent_step(self.doc);
                let mut body = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let mut p = path.to_vec();
                    p.push(format!("[{i}]"));
                    let (head, lines) = self.render(&p, item, col + 2, tail)?;
                    if !lines.is_empty() || head.is_empty() {
                        return Err(YamlError::InvalidValue {
                            path: show(&p),
                            reason: "list items must be one line".into(),
                        });
                    }
                    body.push(concat(&[&" ".repeat(col), "- ", &head]));
                }
                Ok((empty(), body))
            }
            NewValue::Map(entries) if entries.is_empty() => {
                Ok((Zeroizing::new("{}".to_string()), Vec::new()))
            }
            NewValue::Map(entries) => {
                let col = key_col + self.indent_step;
                let mut seen = HashSet::new();
                let mut body = Vec::new();
                for (k, v) in entries {
                    let mut p = path.to_vec();
                    p.push(k.clone());
                    if !seen.insert(k.as_str()) {
                        return Err(YamlError::InvalidValue {
                            path: show(&p),
                            reason: "the key appears twice in the new mapping".into(),
                        });
                    }
                    let (head, lines) = self.render(&p, v, col, tail)?;
                    body.push(entry_line(col, k, &head));
                    body.extend(lines);
                }
                Ok((empty(), body))
            }
        }
    }

    fn replace_splices(
        &self,
        path: &[String],
        pair: &Pair,
        value: &NewValue,
    ) -> Result<Vec<(usize, usize, Text)>, YamlError> {
        let doc = self.doc;
        let li = &doc.lines;
        let v = &pair.value;
        let key_line = li.line_of(pair.key.span.start);
        let key_col = doc.col(pair.key.span.start);
        let body_start = li.next_line(pair.colon);
        let body_end = li.next_line(v.end.max(pair.colon + 1)).max(body_start);

        let join = |lines: Vec<Text>| -> Text {
            let mut out = SecretBuf::with_capacity(
                lines
                    .iter()
                    .map(|l| l.len() + self.eol.len())
                    .sum::<usize>(),
            );
            for l in &lines {
                out.push_str(l);
                out.push_str(self.eol);
            }
            out.into_inner()
        };

        if let NewValue::Vault { vault_text } = value
            && li.line_of(v.start) == key_line
            && let Some(lines) = self.vault_block_lines(path, v, vault_text)
        {
            return Ok(vec![lines?]);
        }

        let (head, body) = self.render(path, value, key_col, self.tail(body_end))?;
        // The value keeps its anchor: aliases of it read the new value.
        let head = match &v.props.anchor {
            Some(a) if head.is_empty() => concat(&["&", a]),
            Some(a) => concat(&["&", a, " ", &head]),
            None => head,
        };
        let mut out = Vec::new();
        let inline = li.line_of(v.start) == key_line && v.end > v.start;
        match (inline, head.is_empty()) {
            (true, false) => out.push((v.start, self.inline_end(v, key_line), head)),
            // A nested mapping starts on the next line: drop the old value and its spacing.
            (true, true) => out.push((pair.colon + 1, self.inline_end(v, key_line), head)),
            (false, false) => out.push((pair.colon + 1, pair.colon + 1, concat(&[" ", &head]))),
            (false, true) => {}
        }
        if body_end > body_start || !body.is_empty() {
            out.push((body_start, body_end, join(body)));
        }
        Ok(out)
    }

    /// Re-encrypting an inline vault block: keeps its header (tag, anchor, comment) and
    /// indentation and swaps its lines. `None` when `v` is not such a block.
    fn vault_block_lines(
        &self,
        path: &[String],
        v: &Node,
        vault_text: &str,
    ) -> Option<Result<(usize, usize, Text), YamlError>> {
        let li = &self.doc.lines;
        let Kind::Scalar(s) = &v.kind else {
            return None;
        };
        let b = s.block.as_ref()?;
        if !v.is_vault() || s.style != Style::Literal || b.first_line.is_none() {
            return None;
        }
        if let Err(reason) = check_vault_text(vault_text) {
            return Some(Err(YamlError::InvalidValue {
                path: show(path),
                reason: reason.into(),
            }));
        }
        let pad = " ".repeat(b.indent);
        let mut text = SecretBuf::default();
        for l in vault_lines(vault_text) {
            text.push_str(&pad);
            text.push_str(l);
            text.push_str(self.eol);
        }
        // Blank lines a `|+` block keeps after its content stay where they are.
        let end = b
            .content_end
            .map_or_else(|| li.next_line(v.end), |e| li.next_line(e));
        Some(Ok((li.next_line(b.header_end), end, text.into_inner())))
    }

    /// What follows a block written to end at line start `pos`.
    fn tail(&self, pos: usize) -> Tail {
        let text = &self.doc.text;
        let mut floor = 0;
        let mut ls = pos;
        while ls < text.len() {
            if let Some(&end) = self.removed.get(&ls) {
                ls = end;
                continue;
            }
            let line = &text[ls..self.doc.lines.next_line(ls)];
            let line = line.trim_end_matches(['\n', '\r']);
            let spaces = line.len() - line.trim_start_matches(' ').len();
            let rest = line[spaces..].trim_start_matches([' ', '\t']);
            if rest.starts_with('#') || (rest.is_empty() && line.len() > spaces) {
                // A block's content indentation must exceed this line's, or it joins the block.
                floor = floor.max(spaces + 1);
            } else if rest.is_empty() {
                floor = floor.max(spaces);
            } else {
                break;
            }
            ls = self.doc.lines.next_line(ls);
        }
        Tail {
            at_eof: pos == text.len() && !text.is_empty() && !text.ends_with('\n'),
            floor,
        }
    }

    /// End of the part of value `v` that sits on the key's line.
    fn inline_end(&self, v: &Node, key_line: usize) -> usize {
        let li = &self.doc.lines;
        if li.line_of(v.end) == key_line {
            return v.end;
        }
        match &v.kind {
            Kind::Scalar(s) if s.block.is_some() => {
                s.block.as_ref().map_or(v.end, |b| b.header_end)
            }
            Kind::Map(_) | Kind::Seq(_) if !v.flow => v.props.end,
            _ => {
                let b = self.doc.text.as_bytes();
                let mut e = v.start;
                while e < b.len() && b[e] != b'\n' && b[e] != b'\r' {
                    e += 1;
                }
                while e > v.start && (b[e - 1] == b' ' || b[e - 1] == b'\t') {
                    e -= 1;
                }
                e
            }
        }
    }
}

/// What follows the place a new block value ends.
#[derive(Clone, Copy)]
struct Tail {
    /// The block would end the text, which has no final line break.
    at_eof: bool,
    /// The least content indentation that keeps the following blank and comment lines out.
    floor: usize,
}

/// `key: head` at column `col` (`key:` alone when the value is on the following lines).
fn entry_line(col: usize, key: &str, head: &str) -> Text {
    let sep = if head.is_empty() { "" } else { " " };
    concat(&[&" ".repeat(col), &quote_scalar(key), ":", sep, head])
}

/// A vault text we can lay out as a literal block that reads back identically.
fn check_vault_text(t: &str) -> Result<(), &'static str> {
    if !t.starts_with("$ANSIBLE_VAULT") {
        return Err("a vault text starts with $ANSIBLE_VAULT");
    }
    for line in vault_lines(t) {
        if line.is_empty() || line.starts_with([' ', '\t']) || line.ends_with([' ', '\t']) {
            return Err("a vault text has no empty lines and no blanks around its lines");
        }
        if !line.bytes().all(|c| (0x20..0x7f).contains(&c)) {
            return Err("a vault text is printable ASCII");
        }
    }
    Ok(())
}

/// The lines of a vault text; trailing line breaks carry nothing (ansible strips them).
fn vault_lines(t: &str) -> std::str::Lines<'_> {
    t.trim_end_matches(['\n', '\r']).lines()
}

/// The first anchor defined strictly inside `n` that some alias uses.
fn children_define_referenced<'n>(
    n: &'n Node,
    referenced: &HashSet<String>,
) -> Option<(&'n str, usize)> {
    match &n.kind {
        Kind::Map(m) => m
            .pairs
            .iter()
            .find_map(|p| defines_referenced(&p.value, referenced)),
        Kind::Seq(s) => s
            .items
            .iter()
            .find_map(|i| defines_referenced(i, referenced)),
        _ => None,
    }
}

/// The first anchor defined in `n`'s subtree that some alias uses.
fn defines_referenced<'n>(n: &'n Node, referenced: &HashSet<String>) -> Option<(&'n str, usize)> {
    if let Some(a) = &n.props.anchor
        && referenced.contains(a)
    {
        return Some((a, n.start));
    }
    match &n.kind {
        Kind::Map(m) => m
            .pairs
            .iter()
            .find_map(|p| defines_referenced(&p.value, referenced)),
        Kind::Seq(s) => s
            .items
            .iter()
            .find_map(|i| defines_referenced(i, referenced)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::ValueKind;

    const VAULT: &str = "$ANSIBLE_VAULT;1.1;AES256\n6162\n6364\n";

    fn p(s: &str) -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.split('.').map(str::to_string).collect()
        }
    }

    fn run(text: &str, edits: &[Edit]) -> String {
        let doc = Doc::parse(text).unwrap();
        match doc.apply(edits) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn replace(path: &str, v: &str) -> Edit {
        Edit::Replace {
            path: p(path),
            value: NewValue::plain(v),
        }
    }

    fn vault(path: &str) -> Edit {
        Edit::Replace {
            path: p(path),
            value: NewValue::Vault {
                vault_text: VAULT.into(),
            },
        }
    }

    #[test]
    fn replace_keeps_everything_around() {
        let t = "# head\na:   old  # note\n\nb: 'x'\n";
        assert_eq!(
            run(t, &[replace("a", "new")]),
            "# head\na:   new  # note\n\nb: 'x'\n"
        );
        assert_eq!(
            run(t, &[replace("b", "yes")]),
            "# head\na:   old  # note\n\nb: 'yes'\n"
        );
    }

    #[test]
    fn replace_block_values() {
        let t = "a: |\n  l1\n  l2\n\n# c\nb: 1\n";
        assert_eq!(run(t, &[replace("a", "v")]), "a: v\n\n# c\nb: 1\n");
        let t = "a:\n  x: 1\n  y: 2\nb: 1\n";
        assert_eq!(run(t, &[replace("a", "v")]), "a: v\nb: 1\n");
        let t = "a: [1,\n  2]  # c\nb: 1\n";
        assert_eq!(run(t, &[replace("a", "v")]), "a: v\nb: 1\n");
        let t = "a: \"x\ny\"\nb: 1\n";
        assert_eq!(run(t, &[replace("a", "v")]), "a: v\nb: 1\n");
        let t = "a:\nb: 1\n";
        assert_eq!(run(t, &[replace("a", "v")]), "a: v\nb: 1\n");
        let t = "a: # c\nb: 1\n";
        assert_eq!(run(t, &[replace("a", "v")]), "a: v # c\nb: 1\n");
    }

    #[test]
    fn replace_with_vault() {
        let t = "a: 1 # c\nb: 2\n";
        assert_eq!(
            run(t, &[vault("a")]),
            "a: !vault | # c\n          $ANSIBLE_VAULT;1.1;AES256\n          6162\n          6364\nb: 2\n"
        );
        let t = "x:\n  a: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3031\n\n  b: 1\n";
        assert_eq!(
            run(t, &[vault("x.a")]),
            "x:\n  a: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n      6364\n\n  b: 1\n"
        );
        assert_eq!(
            run(t, &[vault("x.b")]),
            "x:\n  a: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3031\n\n  b: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n      6364\n"
        );
    }

    #[test]
    fn insert_append_remove() {
        let t = "a: 1\n\n# about b\nb:\n  c: 2\n\nd: 3\n";
        assert_eq!(
            run(
                t,
                &[Edit::InsertAfter {
                    after: p("a"),
                    key: "m".into(),
                    value: NewValue::plain("0755")
                }]
            ),
            "a: 1\nm: '0755'\n\n# about b\nb:\n  c: 2\n\nd: 3\n"
        );
        assert_eq!(
            run(
                t,
                &[Edit::Append {
                    parent: p("b"),
                    key: "e".into(),
                    value: NewValue::plain("x")
                }]
            ),
            "a: 1\n\n# about b\nb:\n  c: 2\n  e: x\n\nd: 3\n"
        );
        assert_eq!(
            run(
                t,
                &[Edit::Append {
                    parent: p(""),
                    key: "z".into(),
                    value: NewValue::plain("x")
                }]
            ),
            "a: 1\n\n# about b\nb:\n  c: 2\n\nd: 3\nz: x\n"
        );
        assert_eq!(
            run(t, &[Edit::Remove { path: p("b") }]),
            "a: 1\n\n# about b\n\nd: 3\n"
        );
        assert_eq!(
            run(t, &[Edit::Remove { path: p("b.c") }]),
            "a: 1\n\n# about b\nb:\n\nd: 3\n"
        );
    }

    #[test]
    fn nested_maps() {
        let t = "s:\n    x:\n        last: 1\n    y: 2\n";
        let rotation = NewValue::Map(vec![
            ("id".into(), NewValue::plain("r-1")),
            ("phase".into(), NewValue::plain("dual")),
            ("empty".into(), NewValue::Map(Vec::new())),
        ]);
        assert_eq!(
            run(
                t,
                &[Edit::Append {
                    parent: p("s.x"),
                    key: "rotation".into(),
                    value: rotation.clone()
                }]
            ),
            "s:\n    x:\n        last: 1\n        rotation:\n            id: r-1\n            phase: dual\n            empty: {}\n    y: 2\n"
        );
        assert_eq!(
            run(
                t,
                &[Edit::Replace {
                    path: p("s.y"),
                    value: rotation
                }]
            ),
            "s:\n    x:\n        last: 1\n    y:\n        id: r-1\n        phase: dual\n        empty: {}\n"
        );
    }

    fn err(text: &str, edits: &[Edit]) -> YamlError {
        Doc::parse(text).unwrap().apply(edits).unwrap_err()
    }

    #[test]
    fn docs_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Doc>();
        send_sync::<YamlError>();
    }

    #[test]
    fn refusals_name_the_key() {
        let t = "a: 1\nl: [1, 2]\ns:\n- x\nm: {k: v}\n";
        let plain = |s: &str| NewValue::plain(s);
        assert_eq!(
            err(t, &[replace("nope", "x")]),
            YamlError::NotFound {
                path: "nope".into()
            }
        );
        assert_eq!(
            err(t, &[replace("a.b", "x")]),
            YamlError::NotFound { path: "a.b".into() }
        );
        assert_eq!(
            err(
                t,
                &[Edit::Append {
                    parent: p("a"),
                    key: "k".into(),
                    value: plain("x")
                }]
            ),
            YamlError::NotAMapping { path: "a".into() }
        );
        assert_eq!(
            err(
                t,
                &[Edit::Append {
                    parent: p("s"),
                    key: "k".into(),
                    value: plain("x")
                }]
            ),
            YamlError::NotAMapping { path: "s".into() }
        );
        assert!(matches!(
            err(
                t,
                &[Edit::Append {
                    parent: p("m"),
                    key: "k2".into(),
                    value: plain("x")
                }]
            ),
            YamlError::NotEditable { .. }
        ));
        assert_eq!(
            err(
                t,
                &[Edit::InsertAfter {
                    after: p("a"),
                    key: "l".into(),
                    value: plain("x")
                }]
            ),
            YamlError::AlreadyExists { path: "l".into() }
        );
        assert_eq!(
            err(t, &[replace("a", "x"), replace("a", "y")]),
            YamlError::Conflict { path: "a".into() }
        );
        assert_eq!(
            err("a:\n  b: 1\n", &[replace("a", "x"), replace("a.b", "y")]),
            YamlError::Conflict { path: "a.b".into() }
        );
        assert!(matches!(
            err(t, &[replace("s.[0]", "x")]),
            YamlError::NotEditable { .. }
        ));
        assert_eq!(
            err(t, &[Edit::Remove { path: vec![] }]),
            YamlError::NotFound {
                path: String::new()
            }
        );
    }

    #[test]
    fn batches_follow_edit_order() {
        let t = "a: 1\nb: 2\n";
        let ins = |after: &str, key: &str| Edit::InsertAfter {
            after: p(after),
            key: key.into(),
            value: NewValue::plain(key),
        };
        // Each insert goes right after its anchor, as if applied one by one.
        assert_eq!(
            run(t, &[ins("a", "x"), ins("a", "z")]),
            "a: 1\nz: z\nx: x\nb: 2\n"
        );
        assert_eq!(
            run(t, &[ins("a", "x"), ins("x", "z")]),
            "a: 1\nx: x\nz: z\nb: 2\n"
        );
        // Remove then re-add under the same name: a rename round trip.
        assert_eq!(
            run(t, &[Edit::Remove { path: p("a") }, ins("b", "a")]),
            "b: 2\na: a\n"
        );
        // New keys before every surviving original key.
        assert_eq!(
            run(t, &[ins("a", "x"), Edit::Remove { path: p("a") }]),
            "x: x\nb: 2\n"
        );
        // An empty value becomes a mapping; an empty document too.
        assert_eq!(
            run(
                "k:\n",
                &[Edit::Append {
                    parent: p("k"),
                    key: "c".into(),
                    value: NewValue::plain("v")
                }]
            ),
            "k:\n  c: v\n"
        );
        assert_eq!(
            run(
                "# only a comment\n",
                &[Edit::Append {
                    parent: p(""),
                    key: "c".into(),
                    value: NewValue::plain("v")
                }]
            ),
            "# only a comment\nc: v\n"
        );
        assert_eq!(
            run(
                "---\n...\n",
                &[Edit::Append {
                    parent: p(""),
                    key: "c".into(),
                    value: NewValue::plain("v")
                }]
            ),
            "---\nc: v\n...\n"
        );
        assert_eq!(
            run(
                "",
                &[Edit::Append {
                    parent: p(""),
                    key: "c".into(),
                    value: NewValue::plain("v")
                }]
            ),
            "c: v\n"
        );
    }

    #[test]
    fn messages_never_carry_values() {
        let secret = "S3CRET";
        let bad = [
            "a: \"S3CRET\n",
            "a: S3CRET: x\n",
            "a: 'S3CRET\n",
            "a: \"S3CRET\\q\"\n",
            "a:\n  - S3CRET\n  b: 1\n",
            "a: [S3CRET\n",
            "a: S3CRET\n  b: c\n",
            "k: S3CRET: [\n",
            "k: &S3CRET! x\n",
        ];
        for t in bad {
            let e = Doc::parse(t).unwrap_err();
            assert!(!e.to_string().contains(secret), "{e}");
            assert!(!format!("{e:?}").contains(secret), "{e:?}");
        }
        let doc = Doc::parse("a: S3CRET\n").unwrap();
        assert!(!format!("{doc:?} {:?}", doc.entries()).contains(secret));
        let e = doc
            .apply(&[Edit::Replace {
                path: p("a"),
                value: NewValue::Vault {
                    vault_text: "S3CRET".into(),
                },
            }])
            .unwrap_err();
        assert!(!e.to_string().contains(secret), "{e}");
    }

    #[test]
    fn edits_at_an_anchor_reach_its_aliases() {
        // Inside a merged mapping: both readers must see the change at the merge too.
        let t = "base: &b\n  user: app\n  pw: old\nprod:\n  <<: *b\n  user: p\n";
        assert_eq!(
            run(t, &[replace("base.pw", "new")]),
            "base: &b\n  user: app\n  pw: new\nprod:\n  <<: *b\n  user: p\n"
        );
        let added = run(
            t,
            &[Edit::Append {
                parent: p("base"),
                key: "host".into(),
                value: NewValue::plain("h"),
            }],
        );
        assert_eq!(
            added,
            "base: &b\n  user: app\n  pw: old\n  host: h\nprod:\n  <<: *b\n  user: p\n"
        );
        // An anchored value keeps its anchor; an alias in a list follows it.
        let t = "a: &x old  # c\nl:\n  - *x\nb: *x\n";
        assert_eq!(
            run(t, &[replace("a", "yes")]),
            "a: &x 'yes'  # c\nl:\n  - *x\nb: *x\n"
        );
        assert_eq!(
            run(t, &[vault("a")]),
            "a: &x !vault |  # c\n          $ANSIBLE_VAULT;1.1;AES256\n          6162\n          6364\nl:\n  - *x\nb: *x\n"
        );
        // What would orphan an alias is refused.
        assert!(matches!(
            err(t, &[Edit::Remove { path: p("a") }]),
            YamlError::NotEditable { .. }
        ));
        let t = "m:\n  a: &x 1\nb: *x\n";
        assert!(matches!(
            err(t, &[replace("m", "v")]),
            YamlError::NotEditable { .. }
        ));
    }

    #[test]
    fn a_vault_in_a_list_is_reencrypted_in_place() {
        let t = "l:\n  - !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3031\n  - plain\n";
        assert_eq!(
            run(t, &[vault("l.[0]")]),
            "l:\n  - !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n      6364\n  - plain\n"
        );
        assert!(matches!(
            err(t, &[replace("l.[1]", "x")]),
            YamlError::NotEditable { .. }
        ));
    }

    #[test]
    fn get_follows_aliases_and_merges() {
        let t = "base: &b\n  user: app\n  pw: s\nprod:\n  <<: [*b, {extra: e}]\n  user: p\nc: *b\n";
        let d = Doc::parse(t).unwrap();
        let pw = d.get(&["prod", "pw"]).unwrap();
        assert_eq!(
            pw.value,
            ValueKind::Scalar(zeroize::Zeroizing::new("s".into()))
        );
        assert_eq!(pw.line, 3);
        let through = pw.through.unwrap();
        assert_eq!((through.anchor.as_deref(), through.line), (Some("b"), 1));
        let user = d.get(&["prod", "user"]).unwrap();
        assert_eq!(
            user.value,
            ValueKind::Scalar(zeroize::Zeroizing::new("p".into()))
        );
        assert_eq!(user.through, None);
        let extra = d.get(&["prod", "extra"]).unwrap().through.unwrap();
        assert_eq!((extra.anchor, extra.line), (None, 5));
        assert_eq!(d.get(&["c", "user"]).unwrap().through.unwrap().line, 1);
        assert_eq!(d.get(&["c"]).unwrap().value, ValueKind::Mapping);
        assert!(d.get(&["prod", "nope"]).is_none());
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let t = "a: 1\r\nb: 2";
        assert_eq!(
            run(
                t,
                &[Edit::Append {
                    parent: p(""),
                    key: "c".into(),
                    value: NewValue::plain("3")
                }]
            ),
            "a: 1\r\nb: 2\r\nc: '3'"
        );
        assert_eq!(run(t, &[Edit::Remove { path: p("b") }]), "a: 1");
        assert_eq!(
            run(t, &[vault("b")]),
            "a: 1\r\nb: !vault |\r\n          $ANSIBLE_VAULT;1.1;AES256\r\n          6162\r\n          6364"
        );
    }
}
