//! The manifest file's shape as serde sees it (unknown fields rejected), and
//! reading it with serde-saphyr, the reference YAML reader.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};

use super::error::Diagnostic;
use super::model::Pos;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sp<T> {
    pub value: T,
    pub pos: Option<Pos>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        Ok(Sp {
            pos: pos_of(&spanned.referenced),
            value: spanned.value,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) secrets_manifest: Sp<RawManifest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManifest {
    pub(super) version: Sp<u32>,
    pub(super) defaults: Option<RawDefaults>,
    pub(super) policies: Option<OrderedMap<Sp<RawPolicy>>>,
    pub(super) secrets: Option<OrderedMap<Option<Sp<RawSecret>>>>,
    pub(super) vault_passwords: Option<OrderedMap<Sp<RawVaultPassword>>>,
    pub(super) owners: Option<OrderedMap<Sp<RawOwner>>>,
}

/// `vault_passwords.<vault-id>`: a store and the settings a secret has.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) age_file: Option<Sp<String>>,
    pub(super) file: Option<Sp<String>>,
    pub(super) command: Option<Sp<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOwner {
    pub(super) notify: Option<Vec<Sp<RawStep>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) vault: Option<Sp<String>>,
    pub(super) inventory: Option<Sp<String>>,
    pub(super) changelog: Option<Sp<String>>,
    pub(super) warn_before: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub(super) max_age: Sp<String>,
    pub(super) warn_before: Option<Sp<String>>,
    pub(super) strategy: Option<Sp<String>>,
    pub(super) min_window: Option<Sp<String>>,
    pub(super) auto: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGenerate {
    pub(super) length: Option<Sp<u32>>,
    pub(super) charset: Option<Sp<String>>,
    pub(super) exclude: Option<String>,
    pub(super) external: Option<Sp<bool>>,
    pub(super) command: Option<Sp<String>>,
    pub(super) instructions: Option<Sp<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVerifySkip {
    pub(super) skip: Option<Sp<bool>>,
    pub(super) reason: Option<Sp<String>>,
}

impl<'de> Deserialize<'de> for RawVerify {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VerifyVisitor;
        impl<'de> Visitor<'de> for VerifyVisitor {
            type Value = RawVerify;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of steps or `{skip: true, reason: WHY}`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawVerify, A::Error> {
                let mut steps = Vec::new();
                while let Some(step) = seq.next_element::<Sp<RawStep>>()? {
                    steps.push(step);
                }
                Ok(RawVerify::Steps(steps))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawVerify, A::Error> {
                let skip = RawVerifySkip::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawVerify::Skip(Sp {
                    value: skip,
                    pos: None,
                }))
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawVerify, E> {
                Ok(RawVerify::Steps(Vec::new()))
            }
        }
        deserializer.deserialize_any(VerifyVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHistory {
    pub(super) event: Sp<String>,
    pub(super) at: Sp<String>,
    pub(super) id: Option<String>,
    pub(super) by: Option<String>,
    pub(super) reason: Option<String>,
}

/// A YAML mapping kept in file order, with each key's position.
pub(super) struct OrderedMap<V>(pub Vec<(Sp<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names to settings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(OrderedMap(entries))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// Ansible's `tags`: a list, or one comma-separated string.
pub(super) struct Tags(pub Vec<String>);

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagsVisitor;
        impl<'de> Visitor<'de> for TagsVisitor {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of tags or a comma-separated string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tags, E> {
                Ok(Tags(
                    v.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut tags = Vec::new();
                while let Some(tag) = seq.next_element::<String>()? {
                    tags.push(tag);
                }
                Ok(Tags(tags))
            }
        }
        deserializer.deserialize_any(TagsVisitor)
    }
}

fn pos_of(location: &Location) -> Option<Pos> {
    (location.line() > 0).then(|| Pos {
        line: u32::try_from(location.line()).unwrap_or(u32::MAX),
        column: u32::try_from(location.column()).unwrap_or(u32::MAX),
    })
}

pub(super) fn pos<T>(spanned: &Sp<T>) -> Option<Pos> {
    spanned.pos
}

/// Reads manifest text with serde-saphyr.
pub(super) fn from_yaml(text: &str) -> Result<RawFile, Diagnostic> {
    crate::yaml::limits::check_size(text).map_err(|breach| Diagnostic {
        pos: Some(Pos {
            line: u32::try_from(breach.line).unwrap_or(u32::MAX),
            column: 1,
        }),
        message: breach.cause,
    })?;
    serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|err| yaml_diagnostic(&err))
}

/// Nesting deeper than this is refused with a positioned error (serde-saphyr
/// counts it without recursing), far deeper than any manifest is written.
const MAX_DEPTH: usize = 64;

fn yaml_options() -> serde_saphyr::Options {
    // Manifests of thousands of secrets exceed the default node budget, which
    // is sized for small configs; the file is the operator's own.
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: 50_000_000,
            max_events: 100_000_000,
        },
        emit_comments: false,
    }
}

fn yaml_diagnostic(err: &serde_saphyr::Error) -> Diagnostic {
    let bare = err.without_snippet();
    let message = match bare {
        serde_saphyr::Error::Eof { .. } => {
            "the file is empty; expected a `secrets_manifest:` mapping".to_string()
        }
        _ => {
            let text = UserMessageFormatter.format_message(bare);
            let text: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            humanize(&text)
        }
    };
    Diagnostic {
        pos: bare.location().as_ref().and_then(pos_of),
        message,
    }
}

/// serde's wording, made to say what the manifest expects.
fn humanize(message: &str) -> String {
    if message.contains("limits breached: Depth") {
        return format!("nested deeper than {MAX_DEPTH} levels, the most vaultrot reads");
    }
    if message.contains("limits breached:") {
        return "too large or too complex to read (aliases expanding to too much, or too many nodes)"
            .to_string();
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key") {
        let key = rest
            .trim_start_matches([':', ' '])
            .split([',', ' '])
            .next()
            .unwrap_or("")
            .trim_matches('`');
        return format!("`{key}` is written twice in the same mapping; keep one");
    }
    if message.contains("missing field `secrets_manifest`") {
        return "expected the top-level key `secrets_manifest`".to_string();
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && rest.ends_with("expected one of secrets_manifest")
    {
        let key = rest.split('`').next().unwrap_or("");
        return format!(
            "unknown top-level key `{key}`; everything in this file goes under `secrets_manifest`"
        );
    }
    if message == "missing field `version`" {
        return "missing field `version`; expected `version: 1`".to_string();
    }
    let replaced = match message {
        "expected mapping start" => "expected a mapping (`key: value` lines)",
        "expected sequence start" => "expected a list (`- item` lines or `[a, b]`)",
        "expected string scalar" => "expected a single value (a string), not a list or mapping",
        _ => message,
    };
    replaced.to_string()
}

/// The top-level keys of a YAML mapping (a vault's variables), with positions.
pub(super) fn top_level_keys(text: &str) -> Result<Vec<(String, Option<Pos>)>, String> {
    match serde_saphyr::from_str_with_options::<Option<OrderedMap<de::IgnoredAny>>>(
        text,
        yaml_options(),
    ) {
        Ok(map) => Ok(map
            .map(|m| m.0)
            .unwrap_or_default()
            .into_iter()
            .map(|(key, _)| {
                let at = pos(&key);
                (key.value, at)
            })
            .collect()),
        Err(serde_saphyr::Error::Eof { .. }) => Ok(Vec::new()),
        Err(err) => {
            let d = yaml_diagnostic(&err);
            Err(match d.pos {
                Some(p) => format!("line {} column {}: {}", p.line, p.column, d.message),
                None => d.message,
            })
        }
    }
}
