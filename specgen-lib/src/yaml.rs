//! YAML behind one small module: parse text into a span-carrying [`Node`] tree with
//! serde-saphyr, then deserialize spec structs from that tree with [`from_node`].
//!
//! Why a tree in between: serde's derived code stops at the first error. Going through our own
//! deserializer lets us report *every* unknown key of a file (with "did you mean"), attach a
//! precise span to every error, accept only real booleans, and give [`Spanned`] values their
//! byte range. Resource limits (alias bombs, nesting) are enforced by serde-saphyr's budget.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::diagnostics::{did_you_mean, Diagnostic, FileId, Span};

/// A parsed YAML node with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// The shapes a YAML node can take after tag resolution (YAML 1.2 core schema).
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl NodeKind {
    /// "a string", "a map"… for messages.
    pub fn describe(&self) -> String {
        match self {
            NodeKind::Null => "null".into(),
            NodeKind::Bool(b) => format!("the boolean `{b}`"),
            NodeKind::Int(i) => format!("the integer `{i}`"),
            NodeKind::Float(f) => format!("the number `{f}`"),
            NodeKind::Str(s) => format!("the string `{}`", abbreviate(s)),
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Map(_) => "a map".into(),
        }
    }
}

fn abbreviate(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() > 40 {
        format!("{}…", one_line.chars().take(40).collect::<String>())
    } else {
        one_line
    }
}

/// Limits that keep hostile input bounded in time and memory.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 2_000_000;
    budget.max_aliases = 10_000;
    budget.max_depth = 64;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options
}

/// Parses `text` into a node tree. Errors carry the location serde-saphyr reports.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    if text.trim().is_empty() {
        return Ok(Node { kind: NodeKind::Null, span: Span::new(file, 0..0) });
    }
    let raw: RawNode = serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let (start, end) = match e.location() {
            Some(loc) => {
                let span = loc.span();
                let start = span.byte_offset().unwrap_or(0) as usize;
                (start, start + span.byte_len().unwrap_or(0) as usize)
            }
            None => (0, 0),
        };
        let message = first_line(&e.to_string());
        let (msg, help) = yaml_error_text(&message);
        Diagnostic::error("E0001", msg, Span::new(file, start..end), "here").with_help_opt(help)
    })?;
    Ok(raw.into_node(file))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn yaml_error_text(message: &str) -> (String, Option<String>) {
    let lower = message.to_lowercase();
    if lower.contains("budget") || lower.contains("alias") || lower.contains("depth") || lower.contains("limit") {
        (
            format!("YAML too large or too deeply nested: {message}"),
            Some("specgen bounds aliases, nesting depth and events to keep hostile input cheap; flatten the file".into()),
        )
    } else if lower.contains("duplicate") {
        (format!("invalid YAML: {message}"), Some("each key may appear once in a map; remove or rename one".into()))
    } else {
        (format!("invalid YAML: {message}"), None)
    }
}

/// What serde-saphyr hands us: a value with its location, children likewise.
struct RawNode {
    kind: RawKind,
    start: usize,
    end: usize,
}

enum RawKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl RawNode {
    fn into_node(self, file: FileId) -> Node {
        let kind = match self.kind {
            RawKind::Null => NodeKind::Null,
            RawKind::Bool(b) => NodeKind::Bool(b),
            RawKind::Int(i) => NodeKind::Int(i),
            RawKind::Float(f) => NodeKind::Float(f),
            RawKind::Str(s) => NodeKind::Str(s),
            RawKind::Seq(items) => NodeKind::Seq(items.into_iter().map(|n| n.into_node(file)).collect()),
            RawKind::Map(entries) => {
                NodeKind::Map(entries.into_iter().map(|(k, v)| (k.into_node(file), v.into_node(file))).collect())
            }
        };
        Node { kind, span: Span::new(file, self.start..self.end.max(self.start)) }
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<RawKind>::deserialize(d)?;
        let span = spanned.referenced.span();
        let start = span.byte_offset().unwrap_or(0) as usize;
        let end = start + span.byte_len().unwrap_or(0) as usize;
        Ok(RawNode { kind: spanned.value, start, end })
    }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawKind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_none<E>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawKind, E> {
        Ok(RawKind::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawKind, E> {
        Ok(RawKind::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawKind, E> {
        i64::try_from(v).map(RawKind::Int).map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawKind, E> {
        i64::try_from(v).map(RawKind::Int).map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawKind, E> {
        i64::try_from(v).map(RawKind::Int).map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawKind, E> {
        Ok(RawKind::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawKind, E> {
        Ok(RawKind::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawKind, E> {
        Ok(RawKind::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(RawKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKind, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<RawNode>()? {
            let value = map.next_value::<RawNode>()?;
            entries.push((key, value));
        }
        Ok(RawKind::Map(entries))
    }
}

// ---------------------------------------------------------------------------------------------
// Deserializing spec structs from a node tree.

/// A value with the span it was read from. Compares and hashes by value only.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Spanned<T> {}
impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}
impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Struct name our deserializer recognises to hand out a node's span.
const SPANNED: &str = "$specgen::Spanned";
/// Enum name our deserializer recognises to choose a variant by the node's shape: variant
/// `str` for a string, `map` for a map (the "bare string or full map" forms of the spec).
pub(crate) const SHAPE: &str = "$specgen::Shape";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a spanned value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spanned<T>, A::Error> {
                let (file, start, end): (u32, u32, u32) =
                    seq.next_element()?.ok_or_else(|| de::Error::custom("span missing"))?;
                let value = seq.next_element()?.ok_or_else(|| de::Error::custom("value missing"))?;
                Ok(Spanned { value, span: Span { file: FileId(file), start, end } })
            }
        }
        d.deserialize_tuple_struct(SPANNED, 2, V(std::marker::PhantomData))
    }
}

/// Errors while deserializing from a node: message, span, help.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error { message: msg.to_string(), span: None, help: None }
    }
    fn missing_field(field: &'static str) -> Self {
        Error { message: format!("missing required key `{field}`"), span: None, help: Some(format!("add `{field}: …` to this map")) }
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let help = did_you_mean(variant, expected.iter().copied())
            .unwrap_or_else(|| format!("expected one of {}", list(expected)));
        Error { message: format!("unknown value `{variant}`"), span: None, help: Some(help) }
    }
}

fn list(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

impl Error {
    fn at(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }
}

/// Deserializes `T` from `node`. Unknown keys are collected in `soft` (all of them, the value is
/// skipped); the first hard error is returned. Either way, `soft` may have grown.
pub fn from_node<'n, T: Deserialize<'n>>(node: &'n Node, soft: &RefCell<Vec<Diagnostic>>) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, soft }).map_err(|e| {
        let span = e.span.unwrap_or(node.span);
        Diagnostic::error("E0002", e.message, span, "").with_help_opt(e.help)
    })
}

struct NodeDe<'n, 's> {
    node: &'n Node,
    soft: &'s RefCell<Vec<Diagnostic>>,
}

impl<'n, 's> NodeDe<'n, 's> {
    fn mismatch(&self, expected: &str) -> Error {
        Error { message: format!("expected {expected}, found {}", self.node.kind.describe()), span: Some(self.node.span), help: None }
    }
}

macro_rules! int_methods {
    ($($method:ident => $visit:ident : $ty:ty),*) => {$(
        fn $method<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
            match &self.node.kind {
                NodeKind::Int(i) => match <$ty>::try_from(*i) {
                    Ok(v) => visitor.$visit(v).map_err(|e: Error| e.at(self.node.span)),
                    Err(_) => Err(Error { message: format!("integer `{i}` is out of range"), span: Some(self.node.span), help: None }),
                },
                _ => Err(self.mismatch("an integer")),
            }
        }
    )*};
}

impl<'n> de::Deserializer<'n> for NodeDe<'n, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.node.span;
        let result = match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_borrowed_str(s),
            NodeKind::Seq(items) => visitor.visit_seq(Seq { items: items.iter(), soft: self.soft }),
            NodeKind::Map(entries) => visitor.visit_map(Map { entries: entries.iter(), value: None, soft: self.soft, fields: None }),
        };
        result.map_err(|e: Error| e.at(span))
    }

    fn deserialize_bool<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Str(s) if ["yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE"].contains(&s.as_str()) => {
                Err(Error {
                    message: format!("expected `true` or `false`, found the string `{s}`"),
                    span: Some(self.node.span),
                    help: Some("YAML 1.1 spellings such as yes/no/on/off are strings here; write `true` or `false`".into()),
                })
            }
            _ => Err(self.mismatch("`true` or `false`")),
        }
    }

    int_methods!(deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16, deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64, deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64);

    fn deserialize_f32<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Int(i) => visitor.visit_f64(*i as f64),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Str(s) => visitor.visit_borrowed_str(s).map_err(|e: Error| e.at(self.node.span)),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            _ => Err(self.mismatch("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'n>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'n>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Seq(items) => {
                visitor.visit_seq(Seq { items: items.iter(), soft: self.soft }).map_err(|e: Error| e.at(self.node.span))
            }
            _ => Err(self.mismatch("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'n>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'n>>(self, name: &'static str, len: usize, visitor: V) -> Result<V::Value, Error> {
        if name == SPANNED {
            let span = self.node.span;
            return visitor.visit_seq(SpannedAccess { span: Some((span.file.0, span.start, span.end)), de: Some(self) });
        }
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Map(entries) => visitor
                .visit_map(Map { entries: entries.iter(), value: None, soft: self.soft, fields: None })
                .map_err(|e: Error| e.at(self.node.span)),
            // An empty value (`Create:`) reads as an empty map.
            NodeKind::Null => visitor.visit_map(Map { entries: [].iter(), value: None, soft: self.soft, fields: None }).map_err(|e: Error| e.at(self.node.span)),
            _ => Err(self.mismatch("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'n>>(self, _name: &'static str, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        let entries = match &self.node.kind {
            NodeKind::Map(entries) => entries.as_slice(),
            NodeKind::Null => &[],
            _ => return Err(self.mismatch("a map")),
        };
        visitor
            .visit_map(Map { entries: entries.iter(), value: None, soft: self.soft, fields: Some(fields) })
            .map_err(|e: Error| e.at(self.node.span))
    }

    fn deserialize_enum<V: Visitor<'n>>(self, name: &'static str, variants: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        if name == SHAPE {
            let variant = match &self.node.kind {
                NodeKind::Str(_) => "str",
                NodeKind::Map(_) => "map",
                _ => return Err(self.mismatch("a string or a map")),
            };
            return visitor.visit_enum(ShapeAccess { variant, de: self });
        }
        match &self.node.kind {
            NodeKind::Str(s) => {
                let span = self.node.span;
                visitor.visit_enum(s.as_str().into_deserializer()).map_err(|e: Error| e.at(span))
            }
            _ => Err(self.mismatch(&format!("one of {}", list(variants)))),
        }
    }

    fn deserialize_identifier<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

struct Seq<'n, 's> {
    items: std::slice::Iter<'n, Node>,
    soft: &'s RefCell<Vec<Diagnostic>>,
}

impl<'n> SeqAccess<'n> for Seq<'n, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'n>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed.deserialize(NodeDe { node, soft: self.soft }).map(Some).map_err(|e: Error| e.at(node.span)),
            None => Ok(None),
        }
    }
}

struct Map<'n, 's> {
    entries: std::slice::Iter<'n, (Node, Node)>,
    value: Option<&'n Node>,
    soft: &'s RefCell<Vec<Diagnostic>>,
    /// For structs: the known keys. Unknown ones become soft diagnostics and are skipped.
    fields: Option<&'static [&'static str]>,
}

impl<'n> MapAccess<'n> for Map<'n, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'n>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        for (key, value) in self.entries.by_ref() {
            if let (Some(fields), NodeKind::Str(name)) = (self.fields, &key.kind) {
                if !fields.contains(&name.as_str()) {
                    let help = did_you_mean(name, fields.iter().copied())
                        .unwrap_or_else(|| format!("known keys here: {}", list(fields)));
                    self.soft.borrow_mut().push(
                        Diagnostic::error("E0003", format!("unknown key `{}`", abbreviate(name)), key.span, "not allowed here")
                            .with_help(help),
                    );
                    continue;
                }
            }
            if self.fields.is_some() && !matches!(key.kind, NodeKind::Str(_)) {
                return Err(Error { message: format!("expected a string key, found {}", key.kind.describe()), span: Some(key.span), help: None });
            }
            self.value = Some(value);
            return seed.deserialize(NodeDe { node: key, soft: self.soft }).map(Some).map_err(|e: Error| e.at(key.span));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'n>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self.value.take().ok_or_else(|| <Error as de::Error>::custom("value requested before key"))?;
        seed.deserialize(NodeDe { node, soft: self.soft }).map_err(|e: Error| e.at(node.span))
    }
}

struct SpannedAccess<'n, 's> {
    span: Option<(u32, u32, u32)>,
    de: Option<NodeDe<'n, 's>>,
}

impl<'n> SeqAccess<'n> for SpannedAccess<'n, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'n>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if let Some((file, start, end)) = self.span.take() {
            use serde::de::value::SeqDeserializer;
            let de = SeqDeserializer::<_, Error>::new([file, start, end].into_iter());
            return seed.deserialize(de).map(Some);
        }
        match self.de.take() {
            Some(de) => seed.deserialize(de).map(Some),
            None => Ok(None),
        }
    }
}

struct ShapeAccess<'n, 's> {
    variant: &'static str,
    de: NodeDe<'n, 's>,
}

impl<'n, 's> de::EnumAccess<'n> for ShapeAccess<'n, 's> {
    type Error = Error;
    type Variant = NodeDe<'n, 's>;
    fn variant_seed<V: DeserializeSeed<'n>>(self, seed: V) -> Result<(V::Value, Self::Variant), Error> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, self.de))
    }
}

impl<'n> de::VariantAccess<'n> for NodeDe<'n, '_> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'n>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'n>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }
    fn struct_variant<V: Visitor<'n>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}
