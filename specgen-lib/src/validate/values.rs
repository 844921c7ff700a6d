//! Constraints and defaults: which constraints fit which type, whether bounds are consistent,
//! and whether a default satisfies its type and constraints. Shared by fields and parameters.

use crate::diagnostics::Diagnostic;
use crate::ir::{Constraints, Number, Primitive, TypeRef, Value};
use crate::spec::{Num, Spanned};

use super::types::describe;
use super::Ctx;

/// The constraint keys as written, with spans.
pub(crate) struct RawConstraints<'a> {
    pub ge: Option<&'a Spanned<Num>>,
    pub gt: Option<&'a Spanned<Num>>,
    pub le: Option<&'a Spanned<Num>>,
    pub lt: Option<&'a Spanned<Num>>,
    pub min_length: Option<&'a Spanned<u64>>,
    pub max_length: Option<&'a Spanned<u64>>,
    pub pattern: Option<&'a Spanned<String>>,
}

fn num(n: &Spanned<Num>) -> Number {
    match n.value {
        Num::Int(i) => Number::Int(i),
        Num::Float(f) => Number::Float(f),
    }
}

/// The type a constraint applies to: through `optional`, and for lengths also lists.
fn base(ty: &TypeRef) -> &TypeRef {
    match ty {
        TypeRef::Optional(inner) => base(inner),
        other => other,
    }
}

fn is_numeric(ty: &TypeRef) -> bool {
    matches!(base(ty), TypeRef::Primitive(Primitive::Int | Primitive::Float | Primitive::Decimal))
}

fn has_length(ty: &TypeRef) -> bool {
    matches!(base(ty), TypeRef::Primitive(Primitive::String) | TypeRef::List(_))
}

impl Ctx<'_> {
    /// Checks constraints against the type and each other; returns them lowered.
    pub(crate) fn lower_constraints(&mut self, ty: &TypeRef, raw: &RawConstraints) -> Constraints {
        let mut out = Constraints::default();
        for (key, value, slot) in [
            ("ge", raw.ge, &mut out.ge),
            ("gt", raw.gt, &mut out.gt),
            ("le", raw.le, &mut out.le),
            ("lt", raw.lt, &mut out.lt),
        ] {
            if let Some(v) = value {
                if is_numeric(ty) {
                    if matches!(v.value, Num::Float(f) if !f.is_finite()) {
                        self.push(Diagnostic::error(
                            "E0110",
                            format!("`{key}` must be a finite number"),
                            v.span,
                            "not finite",
                        ));
                    } else {
                        *slot = Some(num(v));
                    }
                } else {
                    self.push(
                        Diagnostic::error(
                            "E0110",
                            format!("`{key}` applies to numbers, not to {}", describe(ty)),
                            v.span,
                            "numeric bound on a non-number",
                        )
                        .with_help("use `min_length`/`max_length` for strings and lists, or remove the bound"),
                    );
                }
            }
        }
        for (key, value, slot) in
            [("min_length", raw.min_length, &mut out.min_length), ("max_length", raw.max_length, &mut out.max_length)]
        {
            if let Some(v) = value {
                if has_length(ty) {
                    *slot = Some(v.value);
                } else {
                    self.push(
                        Diagnostic::error(
                            "E0110",
                            format!("`{key}` applies to strings and lists, not to {}", describe(ty)),
                            v.span,
                            "length bound on a type without length",
                        )
                        .with_help("use `ge`/`le` for numbers, or remove the bound"),
                    );
                }
            }
        }
        if let Some(p) = raw.pattern {
            if !matches!(base(ty), TypeRef::Primitive(Primitive::String)) {
                self.push(Diagnostic::error(
                    "E0110",
                    format!("`pattern` applies to strings, not to {}", describe(ty)),
                    p.span,
                    "pattern on a non-string",
                ));
            } else if let Err(e) = self.regex(&p.value).map_err(first_line) {
                self.push(
                    Diagnostic::error("E0111", "`pattern` is not a valid regular expression", p.span, e)
                        .with_help("patterns use the common subset of Python `re` and JSON Schema (ECMA 262) syntax"),
                );
            } else {
                out.pattern = Some(p.value.clone());
            }
        }
        let lower = [(raw.ge, out.ge), (raw.gt, out.gt)];
        let upper = [(raw.le, out.le), (raw.lt, out.lt)];
        for (lo_raw, lo) in lower {
            for (hi_raw, hi) in upper {
                if let (Some(lo_raw), Some(lo), Some(hi_raw), Some(hi)) = (lo_raw, lo, hi_raw, hi) {
                    let strict = raw.gt.is_some_and(|g| std::ptr::eq(g, lo_raw))
                        || raw.lt.is_some_and(|l| std::ptr::eq(l, hi_raw));
                    if lo.as_f64() > hi.as_f64() || (strict && lo.as_f64() >= hi.as_f64()) {
                        self.push(
                            Diagnostic::error("E0112", "the bounds leave no valid value", lo_raw.span, "lower bound")
                                .with_label(hi_raw.span, "upper bound")
                                .with_help("swap or correct the bounds"),
                        );
                    }
                }
            }
        }
        if let (Some(min), Some(max)) = (raw.min_length, raw.max_length) {
            if min.value > max.value {
                self.push(
                    Diagnostic::error("E0112", "`min_length` is greater than `max_length`", min.span, "minimum")
                        .with_label(max.span, "maximum")
                        .with_help("swap or correct the bounds"),
                );
            }
        }
        out
    }

    /// Checks a default against the type and constraints; returns it if valid.
    pub(crate) fn check_default(
        &mut self,
        ty: &TypeRef,
        nullable: bool,
        constraints: &Constraints,
        default: &Spanned<Value>,
    ) -> Option<Value> {
        match self.value_problem(ty, nullable, constraints, &default.value) {
            None => Some(default.value.clone()),
            Some(problem) => {
                self.push(
                    Diagnostic::error(
                        "E0113",
                        format!("default does not fit the field: {problem}"),
                        default.span,
                        "invalid default",
                    )
                    .with_help("change the default, or remove it"),
                );
                None
            }
        }
    }

    fn value_problem(&self, ty: &TypeRef, nullable: bool, c: &Constraints, v: &Value) -> Option<String> {
        if v.is_null() {
            return if nullable || matches!(ty, TypeRef::Optional(_)) {
                None
            } else {
                Some("`null` for a field that is not optional".into())
            };
        }
        let expected = |what: &str| Some(format!("expected {what}, found {}", json_kind(v)));
        match ty {
            TypeRef::Optional(inner) => self.value_problem(inner, true, c, v),
            TypeRef::Primitive(p) => {
                let ok_type = match p {
                    Primitive::Int => v.is_i64() || v.is_u64(),
                    Primitive::Float => v.is_number(),
                    Primitive::Decimal => v.is_number() || v.as_str().is_some_and(is_decimal),
                    Primitive::String => v.is_string(),
                    Primitive::Bool => v.is_boolean(),
                    Primitive::Uuid => v.as_str().is_some_and(is_uuid),
                    Primitive::Date => v.as_str().is_some_and(is_date),
                    Primitive::Datetime => v.as_str().is_some_and(is_aware_datetime),
                };
                if !ok_type {
                    return expected(match p {
                        Primitive::Int => "an integer",
                        Primitive::Float => "a number",
                        Primitive::Decimal => "a number or a decimal string",
                        Primitive::String => "a string",
                        Primitive::Bool => "`true` or `false`",
                        Primitive::Uuid => "a UUID string",
                        Primitive::Date => "a date string `YYYY-MM-DD`",
                        Primitive::Datetime => {
                            "a timezone-aware ISO 8601 datetime string (e.g. `2024-01-31T12:00:00Z`)"
                        }
                    });
                }
                if let Some(x) =
                    v.as_f64().or_else(|| v.as_str().filter(|_| *p == Primitive::Decimal).and_then(|s| s.parse().ok()))
                {
                    for (bound, ok, word) in [
                        (c.ge, c.ge.is_none_or(|b| x >= b.as_f64()), ">="),
                        (c.gt, c.gt.is_none_or(|b| x > b.as_f64()), ">"),
                        (c.le, c.le.is_none_or(|b| x <= b.as_f64()), "<="),
                        (c.lt, c.lt.is_none_or(|b| x < b.as_f64()), "<"),
                    ] {
                        if let (Some(b), false) = (bound, ok) {
                            return Some(format!("{x} is not {word} {}", b.as_f64()));
                        }
                    }
                }
                if let Some(s) = v.as_str().filter(|_| *p == Primitive::String) {
                    return length_problem(s.chars().count(), c).or_else(|| {
                        let pattern = c.pattern.as_ref()?;
                        // Compiled (and cached) when the constraints were lowered.
                        let re = self.compiled(pattern)?.as_ref().ok()?;
                        // Why `is_match` and not a full match: pydantic and JSON Schema both search.
                        match re.is_match(s) {
                            Ok(true) => None,
                            _ => Some(format!("`{s}` does not match the pattern `{pattern}`")),
                        }
                    });
                }
                None
            }
            TypeRef::List(inner) => {
                let Some(items) = v.as_array() else { return expected("a list") };
                if let Some(p) = length_problem(items.len(), c) {
                    return Some(p);
                }
                items.iter().find_map(|item| self.value_problem(inner, false, &Constraints::default(), item))
            }
            TypeRef::Dict(key, inner) => {
                let Some(map) = v.as_object() else { return expected("a map") };
                for (k, item) in map {
                    let key_value = Value::String(k.clone());
                    let key_problem = match key {
                        Primitive::Int => k.parse::<i64>().is_err().then(|| format!("key `{k}` is not an integer")),
                        _ => self.value_problem(&TypeRef::Primitive(*key), false, &Constraints::default(), &key_value),
                    };
                    if let Some(p) =
                        key_problem.or_else(|| self.value_problem(inner, false, &Constraints::default(), item))
                    {
                        return Some(p);
                    }
                }
                None
            }
            TypeRef::Enum(name) => {
                let e = self.enum_named(name)?;
                match v.as_str() {
                    Some(s) if e.values.iter().any(|x| x == s) => None,
                    Some(s) => Some(format!(
                        "`{s}` is not one of {}",
                        e.values.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")
                    )),
                    None => expected("one of the enum's values"),
                }
            }
            TypeRef::Class(name) => Some(format!(
                "defaults of model-typed fields are not supported (`{name}`); make the field optional instead"
            )),
        }
    }
}

fn length_problem(len: usize, c: &Constraints) -> Option<String> {
    if c.min_length.is_some_and(|m| (len as u64) < m) {
        return Some(format!("length {len} is below min_length {}", c.min_length.unwrap_or(0)));
    }
    if c.max_length.is_some_and(|m| (len as u64) > m) {
        return Some(format!("length {len} is above max_length {}", c.max_length.unwrap_or(0)));
    }
    None
}

fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("the string `{}`", s.chars().take(40).collect::<String>()),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || !digits(parts[0], 4) || !digits(parts[1], 2) || !digits(parts[2], 2) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) =
        (parts[0].parse().unwrap_or(0), parts[1].parse().unwrap_or(0), parts[2].parse().unwrap_or(0));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && (1..=days).contains(&d)
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]` with `Z` or `±HH:MM`: what Python's
/// `datetime.fromisoformat` and pydantic's `AwareDatetime` both accept.
fn is_aware_datetime(s: &str) -> bool {
    let Some((date, time)) = s.split_once(['T', ' ']) else { return false };
    if !is_date(date) {
        return false;
    }
    let (clock, zone_ok) = if let Some(c) = time.strip_suffix('Z') {
        (c, true)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let zone = &time[i + 1..];
        let ok = zone.len() == 5
            && digits(&zone[..2], 2)
            && &zone[2..3] == ":"
            && digits(&zone[3..], 2)
            && zone[..2].parse::<u32>().is_ok_and(|h| h < 24)
            && zone[3..].parse::<u32>().is_ok_and(|m| m < 60);
        (&time[..i], ok)
    } else {
        (time, false)
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let hms: Vec<&str> = clock.split(':').collect();
    let limits = [24, 60, 60];
    zone_ok
        && (hms.len() == 2 || hms.len() == 3)
        && hms.iter().zip(limits).all(|(p, max)| digits(p, 2) && p.parse::<u32>().is_ok_and(|v| v < max))
        && (1..=6).contains(&fraction.len())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_formats() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(is_aware_datetime("2024-01-31T12:00:00Z"));
        assert!(is_aware_datetime("2024-01-31T12:00:00.123+02:00"));
        assert!(!is_aware_datetime("2024-01-31T12:00:00"));
        assert!(!is_aware_datetime("2024-01-31T25:00:00Z"));
        assert!(!is_date("2023-02-29"));
        assert!(is_date("2000-02-29"));
        assert!(!is_date("2024-04-31"));
        assert!(is_decimal("-12.50"));
        assert!(!is_decimal("1e3"));
    }
}
