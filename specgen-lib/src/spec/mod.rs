//! The spec file formats as plain serde structs, one module per kind.
//!
//! These structs are the single description of the format: they are what YAML is read into
//! (through [`crate::yaml`], which adds spans and collects every unknown key) and what the
//! published JSON Schemas are generated from ([`crate::schema`]); doc comments become the
//! schemas' descriptions, which editors show on hover. Semantic rules live in `validate`, not here.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserialize, Deserializer, EnumAccess, VariantAccess, Visitor};

pub use crate::yaml::Spanned;

pub mod config;
pub mod domain;
pub mod events;
pub mod manifest;
pub mod models;
pub mod services;

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A number as written: integers stay integers (so `ge: 1` renders as `ge=1`, not `ge=1.0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                i64::try_from(v).map(Num::Int).map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                Err(E::custom(format!("expected a number, found the string `{v}`")))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Num {
    fn schema_name() -> Cow<'static, str> {
        "Number".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"type": "number"})
    }
}

/// Implements `Deserialize` for a "bare string or full map" enum with variants
/// `Short(Spanned<String>)` and `Full(..)`: the variant is chosen by the node's shape, so
/// errors inside the map form are reported precisely (serde's untagged enums would swallow them).
macro_rules! string_or_map {
    ($ty:ident, $what:literal) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<$ty, A::Error> {
                        $crate::spec::shape_variant(data, $ty::Short, $ty::Full)
                    }
                }
                d.deserialize_enum($crate::yaml::SHAPE, &["str", "map"], V)
            }
        }
    };
}
pub(crate) use string_or_map;

pub(crate) fn shape_variant<'de, A, T, S, F>(
    data: A,
    short: impl FnOnce(S) -> T,
    full: impl FnOnce(F) -> T,
) -> Result<T, A::Error>
where
    A: EnumAccess<'de>,
    S: Deserialize<'de>,
    F: Deserialize<'de>,
{
    match data.variant()? {
        (Shape::Str, variant) => variant.newtype_variant().map(short),
        (Shape::Map, variant) => variant.newtype_variant().map(full),
    }
}

/// The variant `crate::yaml` chooses for a "bare string or full map" value, by the node's shape.
enum Shape {
    Str,
    Map,
}

// Read as a plain identifier, without a `String` for each of the many typed values of a file.
impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`str` or `map`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
                match v {
                    "str" => Ok(Shape::Str),
                    "map" => Ok(Shape::Map),
                    _ => Err(E::unknown_variant(v, &["str", "map"])),
                }
            }
        }
        d.deserialize_identifier(V)
    }
}
