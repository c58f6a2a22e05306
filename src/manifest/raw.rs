//! The manifest file's shape (`Raw*`: every field it may hold, each value with where it
//! was written), and reading it from the span parser's view of the text: unknown fields,
//! wrong types and missing fields are refused here, with line:column; the checks the
//! shape cannot express are in `parse.rs`.
//!
//! The span parser is the manifest's only reader (it is also what edits it), and it is
//! fast enough for `check-age` on 10,000 secrets; see docs/architecture.md.

use std::collections::BTreeMap;

use super::error::Diagnostic;
use super::model::Pos;
use crate::yaml::YamlError;
use crate::yaml::view::{self, Node, Tree, Typed, Value};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sp<T> {
    pub value: T,
    pub pos: Option<Pos>,
}

#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawFile {
    pub(super) secrets_manifest: Sp<RawManifest>,
}

#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawManifest {
    pub(super) version: Sp<u32>,
    pub(super) defaults: Option<RawDefaults>,
    pub(super) policies: Option<OrderedMap<Sp<RawPolicy>>>,
    pub(super) secrets: Option<OrderedMap<Option<Sp<RawSecret>>>>,
    pub(super) vault_passwords: Option<OrderedMap<Sp<RawVaultPassword>>>,
    pub(super) owners: Option<OrderedMap<Sp<RawOwner>>>,
}

/// `vault_passwords.<vault-id>`: a store and the settings a secret has.
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawVaultPassword {
    pub(super) store: Sp<RawStore>,
    pub(super) policy: Option<Sp<String>>,
    pub(super) max_age: Option<Sp<String>>,
    pub(super) warn_before: Option<Sp<String>>,
    pub(super) last_rotation: Option<Sp<String>>,
    pub(super) owner: Option<String>,
    pub(super) description: Option<String>,
    pub(super) rotation: Option<Sp<RawRotation>>,
    pub(super) history: Option<Vec<Sp<RawHistory>>>,
}

#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawStore {
    pub(super) age_file: Option<Sp<String>>,
    pub(super) file: Option<Sp<String>>,
    pub(super) command: Option<Sp<String>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawOwner {
    pub(super) notify: Option<Vec<Sp<RawStep>>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawDefaults {
    pub(super) vault: Option<Sp<String>>,
    pub(super) inventory: Option<Sp<String>>,
    pub(super) changelog: Option<Sp<String>>,
    pub(super) warn_before: Option<Sp<String>>,
}

#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawPolicy {
    pub(super) max_age: Sp<String>,
    pub(super) warn_before: Option<Sp<String>>,
    pub(super) strategy: Option<Sp<String>>,
    pub(super) min_window: Option<Sp<String>>,
    pub(super) auto: Option<bool>,
}

#[derive(Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawSecret {
    pub(super) policy: Option<Sp<String>>,
    pub(super) max_age: Option<Sp<String>>,
    pub(super) warn_before: Option<Sp<String>>,
    pub(super) strategy: Option<Sp<String>>,
    pub(super) min_window: Option<Sp<String>>,
    pub(super) auto: Option<bool>,
    pub(super) last_rotation: Option<Sp<String>>,
    pub(super) owner: Option<String>,
    pub(super) description: Option<String>,
    pub(super) vault: Option<Sp<String>>,
    pub(super) generate: Option<Sp<RawGenerate>>,
    pub(super) derived_from: Option<Sp<String>>,
    pub(super) deploy: Option<Vec<Sp<RawStep>>>,
    pub(super) verify: Option<RawVerify>,
    pub(super) revoke: Option<Vec<Sp<RawStep>>>,
    pub(super) notify: Option<Vec<Sp<RawStep>>>,
    pub(super) rotation: Option<Sp<RawRotation>>,
    pub(super) history: Option<Vec<Sp<RawHistory>>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawGenerate {
    pub(super) length: Option<Sp<u32>>,
    pub(super) charset: Option<Sp<String>>,
    pub(super) exclude: Option<String>,
    pub(super) external: Option<Sp<bool>>,
    pub(super) command: Option<Sp<String>>,
    pub(super) instructions: Option<Sp<String>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawStep {
    pub(super) playbook: Option<Sp<String>>,
    pub(super) inventory: Option<Sp<String>>,
    pub(super) tags: Option<Tags>,
    pub(super) limit: Option<String>,
    pub(super) extra_vars: Option<BTreeMap<String, serde_json::Value>>,
    pub(super) run: Option<Sp<String>>,
    pub(super) manual: Option<Sp<String>>,
    pub(super) retries: Option<Sp<u32>>,
    pub(super) delay: Option<Sp<String>>,
}

/// `verify:` is a list of steps, or `{skip: true, reason: "..."}` for a
/// secret nothing can check.
pub(super) enum RawVerify {
    Steps(Vec<Sp<RawStep>>),
    Skip(Sp<RawVerifySkip>),
}

#[derive(Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawVerifySkip {
    pub(super) skip: Option<Sp<bool>>,
    pub(super) reason: Option<Sp<String>>,
}

#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawRotation {
    pub(super) id: String,
    pub(super) phase: Sp<String>,
    pub(super) started: Sp<String>,
    pub(super) by: Option<String>,
    pub(super) group: Option<Vec<String>>,
    pub(super) kind: Option<Sp<String>>,
    pub(super) old_fingerprint: Option<String>,
    pub(super) new_fingerprint: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) awaiting: Option<String>,
}

#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct RawHistory {
    pub(super) event: Sp<String>,
    pub(super) at: Sp<String>,
    pub(super) id: Option<String>,
    pub(super) by: Option<String>,
    pub(super) reason: Option<String>,
}

/// A YAML mapping kept in file order, with each key's position.
pub(super) struct OrderedMap<V>(pub Vec<(Sp<String>, V)>);

/// Ansible's `tags`: a list, or one comma-separated string.
pub(super) struct Tags(pub Vec<String>);

pub(super) fn pos<T>(spanned: &Sp<T>) -> Option<Pos> {
    spanned.pos
}

type Read<T> = Result<T, Diagnostic>;

/// Reads manifest text into its shape.
pub(super) fn read(text: &str) -> Read<RawFile> {
    let tree = Tree::parse(text).map_err(|e| yaml_diagnostic(&e))?;
    let root = tree.root();
    let map = match checked(root)? {
        Value::Null => {
            return Err(diagnostic(
                view::Pos { line: 1, column: 1 },
                "the file is empty; expected a `secrets_manifest:` mapping",
            ));
        }
        Value::Map(map) => map,
        _ => {
            return Err(diagnostic(
                root.pos(),
                "expected a `secrets_manifest:` mapping",
            ));
        }
    };
    let mut manifest = None;
    for (key, value) in map.iter() {
        refuse_merge(&key)?;
        if key.text != "secrets_manifest" {
            return Err(diagnostic(
                key.pos(),
                format!(
                    "unknown top-level key `{}`; everything in this file goes under `secrets_manifest`",
                    key.text
                ),
            ));
        }
        manifest = Some(sp(value, raw_manifest)?);
    }
    let secrets_manifest = manifest
        .ok_or_else(|| diagnostic(root.pos(), "expected the top-level key `secrets_manifest`"))?;
    Ok(RawFile { secrets_manifest })
}

fn diagnostic(at: view::Pos, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        pos: Some(pos_of(at)),
        message: message.into(),
    }
}

fn pos_of(at: view::Pos) -> Pos {
    Pos {
        line: u32::try_from(at.line).unwrap_or(u32::MAX),
        column: u32::try_from(at.column).unwrap_or(u32::MAX),
    }
}

/// The parser's error, said for a manifest.
fn yaml_diagnostic(err: &YamlError) -> Diagnostic {
    let (line, column, message) = match err {
        YamlError::Syntax {
            line,
            column,
            message,
        } => (*line, *column, message.clone()),
        YamlError::DuplicateKey {
            key,
            line,
            column,
            first_line,
        } => (
            *line,
            *column,
            format!(
                "`{key}` is written twice in the same mapping (first on line {first_line}); keep one"
            ),
        ),
        YamlError::Unsupported { line, column, what } => (
            *line,
            *column,
            format!("{what} is not supported in a manifest"),
        ),
        other => {
            return Diagnostic {
                pos: None,
                message: other.to_string(),
            };
        }
    };
    diagnostic(view::Pos { line, column }, message)
}

/// A node's value, refusing what a hand-written manifest has no use for and a reader
/// would have to guess at: tags and aliases. Anchors alone change nothing and are read.
fn checked(node: Node<'_>) -> Read<Value<'_>> {
    if let Some(tag) = node.tag() {
        return Err(diagnostic(
            node.start_pos(),
            format!("a tag (`{tag}`) is not read in a manifest; remove it"),
        ));
    }
    match node.value() {
        Value::Alias(name) => Err(diagnostic(
            node.pos(),
            format!("an alias (`*{name}`) is not read in a manifest; write the value out"),
        )),
        value => Ok(value),
    }
}

fn refuse_merge(key: &view::Key<'_>) -> Read<()> {
    if key.is_merge() {
        return Err(diagnostic(
            key.pos(),
            "a merge key (`<<`) is not read in a manifest; write the settings out",
        ));
    }
    Ok(())
}

/// A mapping; its users refuse merge keys as they walk it.
fn mapping(node: Node<'_>) -> Read<view::Map<'_>> {
    match checked(node)? {
        Value::Map(map) => Ok(map),
        other => Err(diagnostic(
            node.pos(),
            format!(
                "expected a mapping (`key: value` lines), found {}",
                what(&other)
            ),
        )),
    }
}

/// What a value is, for "found ..." in a message.
fn what(value: &Value<'_>) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Scalar(s) if s.plain => format!("`{}`", shown(s.text)),
        Value::Scalar(s) => format!("the string `{}`", shown(s.text)),
        Value::Map(_) => "a mapping".into(),
        Value::Seq(_) => "a list".into(),
        Value::Alias(name) => format!("`*{name}`"),
    }
}

/// A value quoted in a one-line message: control characters (line breaks of a block
/// scalar) as spaces, and at most 40 characters.
fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// A struct-like mapping: each key must be one of `names` and goes to `field`, which
/// stores the value.
fn fields<'a>(
    node: Node<'a>,
    names: &[&str],
    mut field: impl FnMut(&str, Node<'a>) -> Read<()>,
) -> Read<()> {
    for (key, value) in mapping(node)?.iter() {
        refuse_merge(&key)?;
        if !names.contains(&key.text) {
            return Err(diagnostic(
                key.pos(),
                format!(
                    "unknown field `{}`, expected one of {}",
                    key.text,
                    names.join(", ")
                ),
            ));
        }
        field(key.text, value)?;
    }
    Ok(())
}

/// A field the mapping `map` must have.
fn required<T>(value: Option<T>, name: &str, map: Node<'_>) -> Read<T> {
    value.ok_or_else(|| diagnostic(map.pos(), format!("missing field `{name}`")))
}

/// An optional field: null is `None`, anything else must convert.
fn opt<'a, T>(node: Node<'a>, convert: impl FnOnce(Node<'a>) -> Read<T>) -> Read<Option<T>> {
    if node.tag().is_none() && node.is_null() {
        Ok(None)
    } else {
        convert(node).map(Some)
    }
}

/// A mapping converted into a struct, with the mapping's position.
fn sp<'a, T>(node: Node<'a>, convert: impl FnOnce(Node<'a>) -> Read<T>) -> Read<Sp<T>> {
    Ok(Sp {
        pos: Some(pos_of(node.pos())),
        value: convert(node)?,
    })
}

/// Any scalar, as its text: `owner: 123` is the owner "123".
fn string(node: Node<'_>) -> Read<String> {
    match checked(node)? {
        Value::Scalar(s) => Ok(s.text.to_string()),
        Value::Null => Err(diagnostic(node.pos(), "expected a value, found nothing")),
        _ => Err(diagnostic(
            node.pos(),
            "expected a single value (a string), not a list or mapping",
        )),
    }
}

fn sp_string(node: Node<'_>) -> Read<Sp<String>> {
    Ok(Sp {
        value: string(node)?,
        pos: Some(pos_of(node.pos())),
    })
}

/// A whole number as YAML 1.1 reads it.
fn sp_u32(node: Node<'_>) -> Read<Sp<u32>> {
    let value = checked(node)?;
    let number = match &value {
        Value::Scalar(s) => match s.typed() {
            Typed::Int(Some(n)) => u32::try_from(n).ok(),
            _ => None,
        },
        _ => None,
    };
    match number {
        Some(value) => Ok(Sp {
            value,
            pos: Some(pos_of(node.pos())),
        }),
        None => Err(diagnostic(
            node.pos(),
            format!("expected a whole number, found {}", what(&value)),
        )),
    }
}

/// `true` or `false` (or another YAML 1.1 boolean: `yes`, `no`, `on`, `off`).
fn sp_bool(node: Node<'_>) -> Read<Sp<bool>> {
    let value = checked(node)?;
    match &value {
        Value::Scalar(s) if matches!(s.typed(), Typed::Bool(_)) => Ok(Sp {
            value: s.typed() == Typed::Bool(true),
            pos: Some(pos_of(node.pos())),
        }),
        _ => Err(diagnostic(
            node.pos(),
            format!("expected `true` or `false`, found {}", what(&value)),
        )),
    }
}

fn list<'a, T>(node: Node<'a>, convert: impl Fn(Node<'a>) -> Read<T>) -> Read<Vec<T>> {
    match checked(node)? {
        Value::Seq(items) => {
            // Exactly sized: collecting through `Result` starts at four items,
            // and most lists here (steps, tags) have one or two.
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.push(convert(item)?);
            }
            Ok(out)
        }
        other => Err(diagnostic(
            node.pos(),
            format!(
                "expected a list (`- item` lines or `[a, b]`), found {}",
                what(&other)
            ),
        )),
    }
}

/// A mapping of names (secrets, policies, ...) to settings, in file order.
fn ordered<'a, V>(node: Node<'a>, convert: impl Fn(Node<'a>) -> Read<V>) -> Read<OrderedMap<V>> {
    let map = mapping(node)?;
    // Sized once: `secrets` holds thousands of large entries, and growing by
    // doubling copied each of them about twice.
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map.iter() {
        refuse_merge(&key)?;
        let name = Sp {
            value: key.text.to_string(),
            pos: Some(pos_of(key.pos())),
        };
        out.push((name, convert(value)?));
    }
    Ok(OrderedMap(out))
}

fn raw_manifest(node: Node<'_>) -> Read<RawManifest> {
    let (mut version, mut defaults, mut policies, mut secrets) = (None, None, None, None);
    let (mut vault_passwords, mut owners) = (None, None);
    fields(
        node,
        &[
            "version",
            "defaults",
            "policies",
            "secrets",
            "vault_passwords",
            "owners",
        ],
        |name, value| {
            match name {
                "version" => version = Some(sp_u32(value)?),
                "defaults" => defaults = opt(value, raw_defaults)?,
                "policies" => policies = opt(value, |v| ordered(v, |p| sp(p, raw_policy)))?,
                "secrets" => {
                    secrets = opt(value, |v| ordered(v, |s| opt(s, |s| sp(s, raw_secret))))?;
                }
                "vault_passwords" => {
                    vault_passwords = opt(value, |v| ordered(v, |p| sp(p, raw_vault_password)))?;
                }
                _ => owners = opt(value, |v| ordered(v, |o| sp(o, raw_owner)))?,
            }
            Ok(())
        },
    )?;
    Ok(RawManifest {
        version: version.ok_or_else(|| {
            diagnostic(node.pos(), "missing field `version`; expected `version: 1`")
        })?,
        defaults,
        policies,
        secrets,
        vault_passwords,
        owners,
    })
}

fn raw_defaults(node: Node<'_>) -> Read<RawDefaults> {
    let mut raw = RawDefaults::default();
    fields(
        node,
        &["vault", "inventory", "changelog", "warn_before"],
        |name, value| {
            let slot = match name {
                "vault" => &mut raw.vault,
                "inventory" => &mut raw.inventory,
                "changelog" => &mut raw.changelog,
                _ => &mut raw.warn_before,
            };
            *slot = opt(value, sp_string)?;
            Ok(())
        },
    )?;
    Ok(raw)
}

fn raw_policy(node: Node<'_>) -> Read<RawPolicy> {
    let (mut max_age, mut warn_before, mut strategy, mut min_window) = (None, None, None, None);
    let mut auto = None;
    fields(
        node,
        &["max_age", "warn_before", "strategy", "min_window", "auto"],
        |name, value| {
            match name {
                "max_age" => max_age = Some(sp_string(value)?),
                "warn_before" => warn_before = opt(value, sp_string)?,
                "strategy" => strategy = opt(value, sp_string)?,
                "min_window" => min_window = opt(value, sp_string)?,
                _ => auto = opt(value, sp_bool)?.map(|b| b.value),
            }
            Ok(())
        },
    )?;
    Ok(RawPolicy {
        max_age: required(max_age, "max_age", node)?,
        warn_before,
        strategy,
        min_window,
        auto,
    })
}

const SECRET_FIELDS: &[&str] = &[
    "policy",
    "max_age",
    "warn_before",
    "strategy",
    "min_window",
    "auto",
    "last_rotation",
    "owner",
    "description",
    "vault",
    "generate",
    "derived_from",
    "deploy",
    "verify",
    "revoke",
    "notify",
    "rotation",
    "history",
];

fn raw_secret(node: Node<'_>) -> Read<RawSecret> {
    let mut raw = RawSecret::default();
    fields(node, SECRET_FIELDS, |name, value| {
        match name {
            "policy" => raw.policy = opt(value, sp_string)?,
            "max_age" => raw.max_age = opt(value, sp_string)?,
            "warn_before" => raw.warn_before = opt(value, sp_string)?,
            "strategy" => raw.strategy = opt(value, sp_string)?,
            "min_window" => raw.min_window = opt(value, sp_string)?,
            "auto" => raw.auto = opt(value, sp_bool)?.map(|b| b.value),
            "last_rotation" => raw.last_rotation = opt(value, sp_string)?,
            "owner" => raw.owner = opt(value, string)?,
            "description" => raw.description = opt(value, string)?,
            "vault" => raw.vault = opt(value, sp_string)?,
            "generate" => raw.generate = opt(value, |g| sp(g, raw_generate))?,
            "derived_from" => raw.derived_from = opt(value, sp_string)?,
            "deploy" => raw.deploy = opt(value, steps)?,
            "verify" => raw.verify = opt(value, raw_verify)?,
            "revoke" => raw.revoke = opt(value, steps)?,
            "notify" => raw.notify = opt(value, steps)?,
            "rotation" => raw.rotation = opt(value, |r| sp(r, raw_rotation))?,
            _ => raw.history = opt(value, histories)?,
        }
        Ok(())
    })?;
    Ok(raw)
}

fn raw_vault_password(node: Node<'_>) -> Read<RawVaultPassword> {
    let (mut store, mut policy, mut max_age, mut warn_before) = (None, None, None, None);
    let (mut last_rotation, mut owner, mut description) = (None, None, None);
    let (mut rotation, mut history) = (None, None);
    fields(
        node,
        &[
            "store",
            "policy",
            "max_age",
            "warn_before",
            "last_rotation",
            "owner",
            "description",
            "rotation",
            "history",
        ],
        |name, value| {
            match name {
                "store" => store = Some(sp(value, raw_store)?),
                "policy" => policy = opt(value, sp_string)?,
                "max_age" => max_age = opt(value, sp_string)?,
                "warn_before" => warn_before = opt(value, sp_string)?,
                "last_rotation" => last_rotation = opt(value, sp_string)?,
                "owner" => owner = opt(value, string)?,
                "description" => description = opt(value, string)?,
                "rotation" => rotation = opt(value, |r| sp(r, raw_rotation))?,
                _ => history = opt(value, histories)?,
            }
            Ok(())
        },
    )?;
    Ok(RawVaultPassword {
        store: required(store, "store", node)?,
        policy,
        max_age,
        warn_before,
        last_rotation,
        owner,
        description,
        rotation,
        history,
    })
}

fn raw_store(node: Node<'_>) -> Read<RawStore> {
    let (mut age_file, mut file, mut command) = (None, None, None);
    fields(node, &["age_file", "file", "command"], |name, value| {
        let slot = match name {
            "age_file" => &mut age_file,
            "file" => &mut file,
            _ => &mut command,
        };
        *slot = opt(value, sp_string)?;
        Ok(())
    })?;
    Ok(RawStore {
        age_file,
        file,
        command,
    })
}

fn raw_owner(node: Node<'_>) -> Read<RawOwner> {
    let mut raw = RawOwner::default();
    fields(node, &["notify"], |_, value| {
        raw.notify = opt(value, steps)?;
        Ok(())
    })?;
    Ok(raw)
}

fn raw_generate(node: Node<'_>) -> Read<RawGenerate> {
    let mut raw = RawGenerate::default();
    fields(
        node,
        &[
            "length",
            "charset",
            "exclude",
            "external",
            "command",
            "instructions",
        ],
        |name, value| {
            match name {
                "length" => raw.length = opt(value, sp_u32)?,
                "charset" => raw.charset = opt(value, sp_string)?,
                "exclude" => raw.exclude = opt(value, string)?,
                "external" => raw.external = opt(value, sp_bool)?,
                "command" => raw.command = opt(value, sp_string)?,
                _ => raw.instructions = opt(value, sp_string)?,
            }
            Ok(())
        },
    )?;
    Ok(raw)
}

fn steps(node: Node<'_>) -> Read<Vec<Sp<RawStep>>> {
    list(node, |step| sp(step, raw_step))
}

fn raw_step(node: Node<'_>) -> Read<RawStep> {
    let mut raw = RawStep::default();
    fields(
        node,
        &[
            "playbook",
            "inventory",
            "tags",
            "limit",
            "extra_vars",
            "run",
            "manual",
            "retries",
            "delay",
        ],
        |name, value| {
            match name {
                "playbook" => raw.playbook = opt(value, sp_string)?,
                "inventory" => raw.inventory = opt(value, sp_string)?,
                "tags" => raw.tags = opt(value, tags)?,
                "limit" => raw.limit = opt(value, string)?,
                "extra_vars" => raw.extra_vars = opt(value, extra_vars)?,
                "run" => raw.run = opt(value, sp_string)?,
                "manual" => raw.manual = opt(value, sp_string)?,
                "retries" => raw.retries = opt(value, sp_u32)?,
                _ => raw.delay = opt(value, sp_string)?,
            }
            Ok(())
        },
    )?;
    Ok(raw)
}

/// `verify:` is a list of steps, or `{skip: true, reason: "..."}`.
fn raw_verify(node: Node<'_>) -> Read<RawVerify> {
    match checked(node)? {
        Value::Seq(_) => steps(node).map(RawVerify::Steps),
        Value::Map(_) => {
            let mut raw = RawVerifySkip::default();
            fields(node, &["skip", "reason"], |name, value| {
                match name {
                    "skip" => raw.skip = opt(value, sp_bool)?,
                    _ => raw.reason = opt(value, sp_string)?,
                }
                Ok(())
            })?;
            Ok(RawVerify::Skip(Sp {
                value: raw,
                pos: Some(pos_of(node.pos())),
            }))
        }
        other => Err(diagnostic(
            node.pos(),
            format!(
                "expected a list of steps or `{{skip: true, reason: WHY}}`, found {}",
                what(&other)
            ),
        )),
    }
}

/// A list of tags, or one comma-separated string.
fn tags(node: Node<'_>) -> Read<Tags> {
    match checked(node)? {
        Value::Seq(_) => list(node, string).map(Tags),
        Value::Scalar(s) if s.typed() == Typed::Str => Ok(Tags(
            s.text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
        )),
        other => Err(diagnostic(
            node.pos(),
            format!(
                "expected a list of tags or a comma-separated string, found {}",
                what(&other)
            ),
        )),
    }
}

fn extra_vars(node: Node<'_>) -> Read<BTreeMap<String, serde_json::Value>> {
    mapping(node)?
        .iter()
        .map(|(key, value)| {
            refuse_merge(&key)?;
            Ok((key.text.to_string(), json(value)?))
        })
        .collect()
}

/// An extra var as ansible-playbook gets it: typed as YAML 1.1 (and so Ansible) reads
/// it, then passed as JSON. Nesting is bounded by the parser's depth limit.
fn json(node: Node<'_>) -> Read<serde_json::Value> {
    use serde_json::Value as Json;
    let scalar = match checked(node)? {
        Value::Null => return Ok(Json::Null),
        Value::Seq(items) => return items.iter().map(json).collect(),
        Value::Map(_) => return Ok(Json::Object(extra_vars(node)?.into_iter().collect())),
        Value::Alias(_) => unreachable_alias(node)?,
        Value::Scalar(s) => s,
    };
    let no_json = || {
        diagnostic(
            node.pos(),
            format!(
                "`{}` has no JSON form to pass to ansible-playbook; quote it to pass it as a string",
                scalar.text
            ),
        )
    };
    Ok(match scalar.typed() {
        Typed::Null => Json::Null,
        Typed::Bool(b) => Json::Bool(b),
        Typed::Int(Some(n)) => Json::from(n),
        Typed::Int(None) => return Err(no_json()),
        Typed::Float => {
            let clean: String = scalar.text.chars().filter(|&c| c != '_').collect();
            clean
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Json::Number)
                .ok_or_else(no_json)?
        }
        Typed::Timestamp | Typed::Str => Json::String(scalar.text.to_string()),
    })
}

/// `checked` refuses aliases; this keeps `json`'s match total without a panic.
fn unreachable_alias<T>(node: Node<'_>) -> Read<T> {
    Err(diagnostic(
        node.pos(),
        "an alias is not read in a manifest; write the value out",
    ))
}

fn raw_rotation(node: Node<'_>) -> Read<RawRotation> {
    let (mut id, mut phase, mut started, mut by, mut group) = (None, None, None, None, None);
    let mut kind = None;
    let (mut old_fingerprint, mut new_fingerprint, mut reason, mut awaiting) =
        (None, None, None, None);
    fields(
        node,
        &[
            "id",
            "phase",
            "started",
            "by",
            "group",
            "kind",
            "old_fingerprint",
            "new_fingerprint",
            "reason",
            "awaiting",
        ],
        |name, value| {
            match name {
                "id" => id = Some(string(value)?),
                "phase" => phase = Some(sp_string(value)?),
                "started" => started = Some(sp_string(value)?),
                "by" => by = opt(value, string)?,
                "group" => group = opt(value, |v| list(v, string))?,
                "kind" => kind = opt(value, sp_string)?,
                "old_fingerprint" => old_fingerprint = opt(value, string)?,
                "new_fingerprint" => new_fingerprint = opt(value, string)?,
                "reason" => reason = opt(value, string)?,
                _ => awaiting = opt(value, string)?,
            }
            Ok(())
        },
    )?;
    Ok(RawRotation {
        id: required(id, "id", node)?,
        phase: required(phase, "phase", node)?,
        started: required(started, "started", node)?,
        by,
        group,
        kind,
        old_fingerprint,
        new_fingerprint,
        reason,
        awaiting,
    })
}

fn histories(node: Node<'_>) -> Read<Vec<Sp<RawHistory>>> {
    list(node, |entry| sp(entry, raw_history))
}

fn raw_history(node: Node<'_>) -> Read<RawHistory> {
    let (mut event, mut at, mut id, mut by, mut reason) = (None, None, None, None, None);
    fields(
        node,
        &["event", "at", "id", "by", "reason"],
        |name, value| {
            match name {
                "event" => event = Some(sp_string(value)?),
                "at" => at = Some(sp_string(value)?),
                "id" => id = opt(value, string)?,
                "by" => by = opt(value, string)?,
                _ => reason = opt(value, string)?,
            }
            Ok(())
        },
    )?;
    Ok(RawHistory {
        event: required(event, "event", node)?,
        at: required(at, "at", node)?,
        id,
        by,
        reason,
    })
}

/// The top-level keys of a YAML mapping (a vault's variables), with positions.
pub(super) fn top_level_keys(text: &str) -> Result<Vec<(String, Option<Pos>)>, String> {
    Ok(view::top_level_keys(text)?
        .into_iter()
        .map(|(key, at)| (key, Some(pos_of(at))))
        .collect())
}
