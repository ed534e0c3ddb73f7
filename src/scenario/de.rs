//! serde deserialization from a positioned YAML tree ([`super::yaml::Node`]).
//!
//! Two things serde_yaml cannot do and scenario authors need:
//! - every error knows the line and column of the node it is about, and
//! - an unknown key does not stop loading: it is recorded (with the closest valid
//!   key) and skipped, so one run of `tollgate check` shows all of them.
//!
//! Structs that are reached through `deserialize_struct` get the soft unknown-key
//! check for free. Types that read a map through their own visitor (a matcher that
//! is "a string or a mapping") use `#[serde(deny_unknown_fields)]`, and
//! `Error::unknown_field` (serde's hook) gives the same message, as a hard error.

use std::cell::RefCell;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer};

use super::yaml::{Node, NodeKind, Pos};

/// An error about one place in a scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub message: String,
    /// Unknown until the error travels up to the node it is about.
    pub pos: Option<Pos>,
    /// e.g. "did you mean 'expect'?"
    pub help: Option<String>,
}

impl Error {
    pub fn new(message: impl Into<String>, pos: Pos) -> Self {
        Error {
            message: message.into(),
            pos: Some(pos),
            help: None,
        }
    }

    fn at(mut self, pos: Pos) -> Self {
        self.pos.get_or_insert(pos);
        self
    }

    fn unknown(kind: &str, name: &str, expected: &[&str]) -> Self {
        let list = if expected.is_empty() {
            "none".to_string()
        } else {
            expected.join(", ")
        };
        Error {
            message: format!("unknown {kind} '{name}', expected one of {list}"),
            pos: None,
            help: closest(name, expected).map(|c| format!("did you mean '{c}'?")),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            pos: None,
            help: None,
        }
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::custom(format_args!("expected {expected}, found {unexpected}"))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self::custom(format_args!("expected {expected}, found {unexpected}"))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::unknown("key", field, expected)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::unknown("value", variant, expected)
    }

    fn missing_field(field: &'static str) -> Self {
        Self::custom(format_args!("missing key '{field}'"))
    }
}

/// The valid name closest to a misspelt one, if any is close enough to suggest.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .iter()
        .filter_map(|c| {
            let candidate = c.to_lowercase();
            let edits = strsim::osa_distance(&name, &candidate);
            // Transpositions in short words ("tsl") score low on similarity alone.
            let close = strsim::jaro_winkler(&name, &candidate) >= 0.8
                || edits <= 1
                || (edits <= 2 && name.len() > 4);
            close.then_some((*c, edits))
        })
        .min_by_key(|(_, edits)| *edits)
        .map(|(c, _)| c)
}

/// Deserializes `T` from `node`. Soft errors (unknown keys) go to `soft`; the
/// returned error, if any, is the first hard one.
pub fn from_node<T: de::DeserializeOwned>(
    node: &Node,
    soft: &RefCell<Vec<Error>>,
) -> Result<T, Error> {
    T::deserialize(NodeDe { node, soft })
}

struct NodeDe<'a> {
    node: &'a Node,
    soft: &'a RefCell<Vec<Error>>,
}

impl<'a> NodeDe<'a> {
    fn at(&self, node: &'a Node) -> NodeDe<'a> {
        NodeDe {
            node,
            soft: self.soft,
        }
    }

    fn text(&self) -> Option<&'a str> {
        self.node.as_str()
    }

    fn type_error(&self, expected: &str) -> Error {
        let found = match &self.node.kind {
            NodeKind::Scalar { text, .. } if self.node.is_null() && text.is_empty() => {
                "nothing".to_string()
            }
            NodeKind::Scalar { text, .. } => format!("'{text}'"),
            NodeKind::Seq(_) => "a list".to_string(),
            NodeKind::Map(_) => "a mapping".to_string(),
        };
        Error::new(format!("expected {expected}, found {found}"), self.node.pos)
    }

    fn parse_number<N: std::str::FromStr>(&self, what: &str) -> Result<N, Error> {
        self.text()
            .and_then(|t| t.trim().replace('_', "").parse().ok())
            .ok_or_else(|| self.type_error(what))
    }
}

macro_rules! number {
    ($method:ident, $visit:ident, $ty:ty, $what:literal) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let value: $ty = self.parse_number($what)?;
            visitor
                .$visit::<Error>(value)
                .map_err(|e| e.at(self.node.pos))
        }
    };
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let pos = self.node.pos;
        let result = match &self.node.kind {
            NodeKind::Scalar { text, plain: true } => match text.as_str() {
                _ if self.node.is_null() => visitor.visit_unit(),
                "true" | "True" | "TRUE" => visitor.visit_bool(true),
                "false" | "False" | "FALSE" => visitor.visit_bool(false),
                t => {
                    if let Ok(n) = t.parse::<u64>() {
                        visitor.visit_u64(n)
                    } else if let Ok(n) = t.parse::<i64>() {
                        visitor.visit_i64(n)
                    } else if let Some(n) = t.parse::<f64>().ok().filter(|_| looks_numeric(t)) {
                        visitor.visit_f64(n)
                    } else {
                        visitor.visit_str(t)
                    }
                }
            },
            NodeKind::Scalar { text, plain: false } => visitor.visit_str(text),
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                soft: self.soft,
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapDe::new(entries, self.soft, None)),
        };
        result.map_err(|e| e.at(pos))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.text() {
            Some("true" | "True" | "TRUE") => visitor.visit_bool(true),
            Some("false" | "False" | "FALSE") => visitor.visit_bool(false),
            _ => Err(self.type_error("true or false")),
        }
        .map_err(|e| e.at(self.node.pos))
    }

    number!(deserialize_i8, visit_i8, i8, "a number");
    number!(deserialize_i16, visit_i16, i16, "a number");
    number!(deserialize_i32, visit_i32, i32, "a number");
    number!(deserialize_i64, visit_i64, i64, "a number");
    number!(deserialize_u8, visit_u8, u8, "a number from 0 to 255");
    number!(deserialize_u16, visit_u16, u16, "a number from 0 to 65535");
    number!(deserialize_u32, visit_u32, u32, "a whole number");
    number!(deserialize_u64, visit_u64, u64, "a whole number");
    number!(deserialize_f32, visit_f32, f32, "a number");
    number!(deserialize_f64, visit_f64, f64, "a number");

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Any scalar reads as text: `user: 123` means the string "123", and an empty
        // value means "", which is what a scenario author writing `password:` wants.
        match &self.node.kind {
            NodeKind::Scalar { text, plain } => {
                let text = if *plain && matches!(text.as_str(), "~" | "null") {
                    ""
                } else {
                    text
                };
                visitor
                    .visit_str::<Error>(text)
                    .map_err(|e| e.at(self.node.pos))
            }
            _ => Err(self.type_error("text")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.type_error("nothing"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let pos = self.node.pos;
        visitor.visit_newtype_struct(self).map_err(|e| e.at(pos))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Seq(items) => visitor
                .visit_seq(SeqDe {
                    items: items.iter(),
                    soft: self.soft,
                })
                .map_err(|e| e.at(self.node.pos)),
            _ if self.node.is_null() => visitor
                .visit_seq(SeqDe {
                    items: [].iter(),
                    soft: self.soft,
                })
                .map_err(|e| e.at(self.node.pos)),
            _ => Err(self.type_error("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.visit_mapping(None, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED_NAME {
            return visitor.visit_map(SpannedDe {
                de: Some(self),
                field: 0,
            });
        }
        if name == TEXT_OR_MAPPING_NAME {
            if let NodeKind::Scalar { .. } = &self.node.kind {
                return self.deserialize_str(visitor);
            }
        }
        self.visit_mapping(Some(fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (tag, value) = match &self.node.kind {
            NodeKind::Scalar { .. } => (self.node, None),
            NodeKind::Map(entries) if entries.len() == 1 => (&entries[0].0, Some(&entries[0].1)),
            _ => {
                return Err(Error::new(
                    format!("expected one of {} (a single key)", variants.join(", ")),
                    self.node.pos,
                ));
            }
        };
        let name = tag.as_str().unwrap_or_default();
        if !variants.contains(&name) {
            return Err(Error::unknown("value", name, variants).at(tag.pos));
        }
        visitor
            .visit_enum(EnumDe {
                tag: name,
                value: value.map(|v| self.at(v)),
                pos: self.node.pos,
            })
            .map_err(|e| e.at(self.node.pos))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl<'a> NodeDe<'a> {
    fn visit_mapping<'de, V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let entries: &[(Node, Node)] = match &self.node.kind {
            NodeKind::Map(entries) => entries,
            _ if self.node.is_null() => &[],
            _ => return Err(self.type_error("a mapping")),
        };
        visitor
            .visit_map(MapDe::new(entries, self.soft, fields))
            .map_err(|e| e.at(self.node.pos))
    }
}

fn looks_numeric(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    soft: &'a RefCell<Vec<Error>>,
}

impl<'de, 'a> de::SeqAccess<'de> for SeqDe<'a> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDe {
                    node,
                    soft: self.soft,
                })
                .map(Some)
                .map_err(|e| e.at(node.pos)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
    soft: &'a RefCell<Vec<Error>>,
    fields: Option<&'static [&'static str]>,
}

impl<'a> MapDe<'a> {
    fn new(
        entries: &'a [(Node, Node)],
        soft: &'a RefCell<Vec<Error>>,
        fields: Option<&'static [&'static str]>,
    ) -> Self {
        MapDe {
            entries: entries.iter(),
            value: None,
            soft,
            fields,
        }
    }
}

impl<'de, 'a> de::MapAccess<'de> for MapDe<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        for (key, value) in self.entries.by_ref() {
            let name = key.as_str().unwrap_or_default();
            if let Some(fields) = self.fields.filter(|f| !f.contains(&name)) {
                self.soft
                    .borrow_mut()
                    .push(Error::unknown("key", name, fields).at(key.pos));
                continue;
            }
            self.value = Some(value);
            return seed
                .deserialize(NodeDe {
                    node: key,
                    soft: self.soft,
                })
                .map(Some)
                .map_err(|e| e.at(key.pos));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(node) = self.value.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        // An error a value's own `Deserialize` raises after reading the text
        // (`Duration`, a status) has no position yet: it is about this value.
        seed.deserialize(NodeDe {
            node,
            soft: self.soft,
        })
        .map_err(|e| e.at(node.pos))
    }
}

struct EnumDe<'a> {
    tag: &'a str,
    value: Option<NodeDe<'a>>,
    pos: Pos,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumDe<'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let tag: de::value::StrDeserializer<'_, Error> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, self))
    }
}

impl<'de, 'a> de::VariantAccess<'de> for EnumDe<'a> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            Some(value) if !value.node.is_null() => Err(Error::new(
                format!("'{}' takes no value", self.tag),
                value.node.pos,
            )),
            _ => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.value {
            Some(value) => seed.deserialize(value),
            None => Err(Error::new(
                format!("'{}' needs a value", self.tag),
                self.pos,
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(value) => value.deserialize_tuple(len, visitor),
            None => Err(Error::new(format!("'{}' needs a list", self.tag), self.pos)),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Some(value) => value.deserialize_struct("", fields, visitor),
            None => Err(Error::new(
                format!("'{}' needs a mapping", self.tag),
                self.pos,
            )),
        }
    }
}

const SPANNED_NAME: &str = "$__tollgate_Spanned";

/// The struct name a type deserializes under to be written either as a scalar,
/// read as its text exactly as written (`7.10` stays `7.10`), or as a mapping of
/// its `fields` (e.g. a var: `v` or `{ value: v, secret: true }`). Other
/// deserializers treat it as a plain struct.
pub const TEXT_OR_MAPPING_NAME: &str = "$__tollgate_TextOrMapping";
const SPANNED_FIELDS: &[&str] = &["$__line", "$__col", "$__value"];

/// A value with the position it was written at, for messages that point at it.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub pos: Pos,
    pub inner: T,
}

impl<T> Spanned<T> {
    pub fn new(value: T, pos: Pos) -> Self {
        Spanned { pos, inner: value }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value from a scenario file")
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
                fn expect_key<'de, A: de::MapAccess<'de>>(
                    map: &mut A,
                    expected: &str,
                ) -> Result<(), A::Error> {
                    match map.next_key::<String>()? {
                        Some(key) if key == expected => Ok(()),
                        _ => Err(de::Error::custom(
                            "Spanned values come only from scenario files",
                        )),
                    }
                }
                expect_key(&mut map, SPANNED_FIELDS[0])?;
                let line = map.next_value()?;
                expect_key(&mut map, SPANNED_FIELDS[1])?;
                let col = map.next_value()?;
                expect_key(&mut map, SPANNED_FIELDS[2])?;
                let value = map.next_value()?;
                Ok(Spanned {
                    pos: Pos { line, col },
                    inner: value,
                })
            }
        }

        deserializer.deserialize_struct(
            SPANNED_NAME,
            SPANNED_FIELDS,
            SpannedVisitor(std::marker::PhantomData),
        )
    }
}

/// Hands a [`Spanned`] its node's line, column, then the node itself.
struct SpannedDe<'a> {
    de: Option<NodeDe<'a>>,
    field: usize,
}

impl<'de, 'a> de::MapAccess<'de> for SpannedDe<'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match SPANNED_FIELDS.get(self.field) {
            Some(name) => seed
                .deserialize(de::value::StrDeserializer::new(name))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.field += 1;
        let pos = self.de.as_ref().map(|d| d.node.pos).unwrap_or_default();
        match self.field {
            1 => seed.deserialize(pos.line.into_deserializer()),
            2 => seed.deserialize(pos.col.into_deserializer()),
            _ => match self.de.take() {
                Some(de) => seed.deserialize(de),
                None => Err(de::Error::custom("Spanned value read twice")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::yaml::parse;

    #[derive(Debug, Deserialize)]
    struct Inner {
        name: String,
        #[serde(default)]
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    struct Outer {
        inner: Spanned<Inner>,
        #[serde(default)]
        list: Vec<String>,
    }

    fn load<T: de::DeserializeOwned>(src: &str) -> (Result<T, Error>, Vec<Error>) {
        let soft = RefCell::new(Vec::new());
        let node = parse(src).unwrap();
        let result = from_node(&node, &soft);
        (result, soft.into_inner())
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let (result, soft) = load::<Outer>("inner:\n  name: x\n  cuont: 2\nlsit: []\n");
        assert!(result.is_ok());
        assert_eq!(soft.len(), 2);
        assert_eq!(soft[0].pos, Some(Pos { line: 3, col: 3 }));
        assert_eq!(soft[0].help.as_deref(), Some("did you mean 'count'?"));
        assert_eq!(
            soft[1].message,
            "unknown key 'lsit', expected one of inner, list"
        );
    }

    #[test]
    fn type_errors_point_at_the_value() {
        let (result, _) = load::<Outer>("inner:\n  name: x\n  count: many\n");
        let err = result.unwrap_err();
        assert_eq!(err.pos, Some(Pos { line: 3, col: 10 }));
        assert_eq!(err.message, "expected a whole number, found 'many'");
    }

    #[test]
    fn missing_keys_point_at_their_mapping() {
        let (result, _) = load::<Outer>("inner:\n  count: 1\n");
        let err = result.unwrap_err();
        assert_eq!(err.message, "missing key 'name'");
        assert_eq!(err.pos, Some(Pos { line: 2, col: 3 }));
    }

    #[test]
    fn spanned_values_know_their_position() {
        let (result, _) = load::<Outer>("list: [a]\ninner: { name: x }\n");
        let outer = result.unwrap();
        assert_eq!(outer.list, ["a"]);
        assert_eq!(outer.inner.count, 0);
        assert_eq!(outer.inner.pos, Pos { line: 2, col: 8 });
        assert_eq!(outer.inner.name, "x");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        None,
        Basic { user: String },
        Bearer(String),
    }

    #[test]
    fn enums_read_as_a_word_or_a_single_key() {
        assert_eq!(load::<Mode>("none").0.unwrap(), Mode::None);
        assert_eq!(
            load::<Mode>("bearer: abc").0.unwrap(),
            Mode::Bearer("abc".into())
        );
        assert_eq!(
            load::<Mode>("basic: { user: a }").0.unwrap(),
            Mode::Basic { user: "a".into() }
        );
        let err = load::<Mode>("baisc: { user: a }").0.unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean 'basic'?"));
        assert_eq!(err.pos, Some(Pos { line: 1, col: 1 }));
    }
}
