//! serde-saphyr reading the manifest into the same shapes as [`super::raw`]: the
//! independent reference the span-parser reader is tested against (test builds only).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};

use super::error::Diagnostic;
use super::model::Pos;
use super::raw::{OrderedMap, RawFile, RawStep, RawVerify, RawVerifySkip, Sp, Tags};

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        Ok(Sp {
            pos: pos_of(&spanned.referenced),
            value: spanned.value,
        })
    }
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
