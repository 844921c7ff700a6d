//! The type grammar: shorthand strings (`list[dict[string, BookRead]]`) and the map forms,
//! resolved to [`TypeRef`]s. Enum forms create [`Enum`]s named by their owner.

use crate::diagnostics::{did_you_mean, Diagnostic, Span};
use crate::ir::{Enum, Primitive, TypeRef};
use crate::spec::models::{TypeExpr, TypeSpec};
use crate::spec::Spanned;

use super::{is_identifier, Ctx};

/// A parsed shorthand type string, before names are resolved. Names borrow from the string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ast<'a> {
    /// A bare name: primitive, class, `enum`.
    Name(&'a str, std::ops::Range<usize>),
    /// `name[args]`.
    Generic(&'a str, std::ops::Range<usize>, Vec<Ast<'a>>),
}

/// Parses the shorthand grammar `name | name '[' type (',' type)* ']'`.
/// Errors give the byte range inside the string.
pub(crate) fn parse_shorthand(text: &str) -> Result<Ast<'_>, (String, std::ops::Range<usize>)> {
    let mut p = Parser { text, pos: 0 };
    let ast = p.ty()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err((format!("unexpected `{}` after the type", &text[p.pos..]), p.pos..text.len()));
    }
    Ok(ast)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn ty(&mut self) -> Result<Ast<'a>, (String, std::ops::Range<usize>)> {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.text[self.pos..].chars().next() {
            if c.is_ascii_alphanumeric() || c == '_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            let found = self.text[self.pos..].chars().next().map_or("end of text".to_string(), |c| format!("`{c}`"));
            return Err((
                format!("expected a type name, found {found}"),
                start..(start + 1).min(self.text.len()).max(start),
            ));
        }
        let name = &self.text[start..self.pos];
        let range = start..self.pos;
        self.skip_ws();
        if !self.text[self.pos..].starts_with('[') {
            return Ok(Ast::Name(name, range));
        }
        let open = self.pos;
        self.pos += 1;
        let mut args = vec![self.ty()?];
        loop {
            self.skip_ws();
            match self.text[self.pos..].chars().next() {
                Some(',') => {
                    self.pos += 1;
                    args.push(self.ty()?);
                }
                Some(']') => {
                    self.pos += 1;
                    return Ok(Ast::Generic(name, range, args));
                }
                _ => return Err(("unclosed `[`".to_string(), open..open + 1)),
            }
        }
    }
}

/// Who owns a type being resolved: names its enums (`<Owner><Name>` in PascalCase).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    /// The prefix of its enums' names: a model name, or an operation name.
    pub prefix: &'a str,
    /// Whether `prefix` is snake_case (an operation's name), written in PascalCase in enum
    /// names. Converted only when an enum is named: few owners make one.
    pub snake_prefix: bool,
    /// The field or parameter name.
    pub name: &'a str,
    /// Description given to a generated enum.
    pub description: Option<&'a str>,
}

impl Owner<'_> {
    fn enum_name(&self) -> String {
        let mut name = String::with_capacity(self.prefix.len() + self.name.len());
        if self.snake_prefix {
            push_pascal(&mut name, self.prefix);
        } else {
            name.push_str(self.prefix);
        }
        push_pascal(&mut name, self.name);
        name
    }
}

/// Appends `name` (`snake_case`) in PascalCase (`SnakeCase`) to `out`.
fn push_pascal(out: &mut String, name: &str) {
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
}

/// Maps a byte range inside a string scalar to a file span: exact when the scalar is written
/// plainly in the file, otherwise the whole scalar.
pub(crate) fn sub_span(ctx: &Ctx, s: &Spanned<String>, range: std::ops::Range<usize>) -> Span {
    let file_text = &ctx.sources.get(s.span.file).text;
    let start = s.span.start as usize;
    // Plain scalars start at the span; quoted ones one byte later (when free of escapes).
    for skip in [0, 1] {
        let at = start + skip;
        if file_text.get(at..at + s.value.len()) == Some(s.value.as_str()) {
            return Span {
                file: s.span.file,
                start: (at + range.start) as u32,
                end: (at + range.end.max(range.start)) as u32,
            };
        }
    }
    s.span
}

impl Ctx<'_> {
    /// Resolves a field or parameter type. `values`/`default_for_enum` come from the field
    /// level (backlog form `{type: enum, values: [...]}`).
    pub(crate) fn resolve_type(
        &mut self,
        expr: &TypeExpr,
        owner: &Owner<'_>,
        field_values: Option<&Spanned<Vec<Spanned<String>>>>,
    ) -> Option<TypeRef> {
        match expr {
            TypeExpr::Short(s) => self.resolve_short(s, owner, field_values),
            TypeExpr::Full(spec) => self.resolve_full(spec, owner, field_values),
        }
    }

    /// Resolves a type written as a string (`int`, `list[Tag]`, `enum` with `field_values`).
    pub(crate) fn resolve_short(
        &mut self,
        s: &Spanned<String>,
        owner: &Owner<'_>,
        field_values: Option<&Spanned<Vec<Spanned<String>>>>,
    ) -> Option<TypeRef> {
        if s.value.trim() == "enum" {
            let Some(values) = field_values else {
                self.push(
                    Diagnostic::error("E0120", "`type: enum` needs `values`", s.span, "enum without values")
                        .with_help("add `values: [a, b]` next to `type: enum`"),
                );
                return None;
            };
            return self.make_enum(owner, values);
        }
        let ast = match parse_shorthand(&s.value) {
            Ok(ast) => ast,
            Err((msg, range)) => {
                self.push(
                    Diagnostic::error(
                        "E0121",
                        format!("invalid type `{}`: {msg}", s.value),
                        sub_span(self, s, range),
                        msg,
                    )
                    .with_help("types are written like `int`, `list[string]`, `dict[string, BookRead]`"),
                );
                return None;
            }
        };
        self.resolve_ast(&ast, s)
    }

    fn resolve_full<'e>(
        &mut self,
        spec: &'e TypeSpec,
        owner: &Owner<'_>,
        field_values: Option<&Spanned<Vec<Spanned<String>>>>,
    ) -> Option<TypeRef> {
        let kind = spec.ty.value.as_str();
        let check_unused = |ctx: &mut Ctx, allowed: &[&str]| {
            let present: [(&str, Option<Span>); 5] = [
                ("of", spec.of.as_ref().map(type_expr_span)),
                ("key", spec.key.as_ref().map(type_expr_span)),
                ("value", spec.value.as_ref().map(type_expr_span)),
                ("values", spec.values.as_ref().map(|v| v.span)),
                ("default", spec.default.as_ref().map(|v| v.span)),
            ];
            for (key, span) in present {
                if let Some(span) = span {
                    if !allowed.contains(&key) {
                        ctx.push(
                            Diagnostic::error(
                                "E0122",
                                format!("`{key}` does not apply to `type: {kind}`"),
                                span,
                                "not used by this type",
                            )
                            .with_help(format!("remove `{key}`")),
                        );
                    }
                }
            }
        };
        let need = |ctx: &mut Ctx, what: &str, e: &'e Option<TypeExpr>| -> Option<&'e TypeExpr> {
            if e.is_none() {
                ctx.push(
                    Diagnostic::error(
                        "E0123",
                        format!("`type: {kind}` needs `{what}`"),
                        spec.ty.span,
                        format!("`{what}` missing"),
                    )
                    .with_help(format!("add `{what}: <type>`")),
                );
            }
            e.as_ref()
        };
        match kind {
            "list" | "optional" => {
                check_unused(self, &["of"]);
                let of = need(self, "of", &spec.of)?;
                let inner = self.resolve_type(of, owner, None)?;
                Some(if kind == "list" { TypeRef::List(Box::new(inner)) } else { TypeRef::Optional(Box::new(inner)) })
            }
            "dict" => {
                check_unused(self, &["key", "value"]);
                let key = need(self, "key", &spec.key);
                let value = need(self, "value", &spec.value);
                let key = self.resolve_type(key?, owner, None);
                let value = self.resolve_type(value?, owner, None)?;
                let key = self.dict_key(key?, spec.key.as_ref().map(type_expr_span).unwrap_or(spec.ty.span))?;
                Some(TypeRef::Dict(key, Box::new(value)))
            }
            "enum" => {
                check_unused(self, &["values", "default"]);
                let values = spec.values.as_ref().or(field_values);
                let Some(values) = values else {
                    self.push(
                        Diagnostic::error("E0120", "`type: enum` needs `values`", spec.ty.span, "enum without values")
                            .with_help("add `values: [a, b]`"),
                    );
                    return None;
                };
                self.make_enum(owner, values)
            }
            _ => {
                check_unused(self, &[]);
                let ast = match parse_shorthand(kind) {
                    Ok(ast) => ast,
                    Err((msg, range)) => {
                        self.push(Diagnostic::error(
                            "E0121",
                            format!("invalid type `{kind}`: {msg}"),
                            sub_span(self, &spec.ty, range),
                            msg,
                        ));
                        return None;
                    }
                };
                self.resolve_ast(&ast, &spec.ty)
            }
        }
    }

    fn dict_key(&mut self, key: TypeRef, span: Span) -> Option<Primitive> {
        match key {
            TypeRef::Primitive(p @ (Primitive::String | Primitive::Int | Primitive::Uuid | Primitive::Date)) => Some(p),
            other => {
                self.push(
                    Diagnostic::error(
                        "E0124",
                        format!("dict keys must be `string`, `int`, `uuid` or `date`, not {}", describe(&other)),
                        span,
                        "not a valid key type",
                    )
                    .with_help("JSON object keys are strings; use `dict[string, V]`"),
                );
                None
            }
        }
    }

    fn resolve_ast(&mut self, ast: &Ast, s: &Spanned<String>) -> Option<TypeRef> {
        match ast {
            Ast::Name(name, range) => {
                if let Some(p) = Primitive::from_spec(name) {
                    return Some(TypeRef::Primitive(p));
                }
                if matches!(*name, "list" | "List" | "dict" | "Dict") {
                    self.push(
                        Diagnostic::error(
                            "E0121",
                            format!("`{name}` needs type arguments"),
                            sub_span(self, s, range.clone()),
                            "missing `[...]`",
                        )
                        .with_help(if name.eq_ignore_ascii_case("list") {
                            "write `list[T]`"
                        } else {
                            "write `dict[K, V]`"
                        }),
                    );
                    return None;
                }
                if *name == "enum" {
                    self.push(
                        Diagnostic::error(
                            "E0120",
                            "`enum` cannot be nested in a type string",
                            sub_span(self, s, range.clone()),
                            "enum here",
                        )
                        .with_help("use the map form `{type: list, of: {type: enum, values: [a, b]}}`"),
                    );
                    return None;
                }
                if self.class_names.contains(*name) {
                    return Some(TypeRef::Class(name.to_string()));
                }
                let candidates: Vec<&str> =
                    self.class_names.iter().map(String::as_str).chain(Primitive::ALL.iter().map(|(n, _)| *n)).collect();
                let help = did_you_mean(name, candidates.iter().copied()).unwrap_or_else(|| {
                    "types are the primitives (int, float, string, bool, datetime, date, uuid, decimal), list[T], dict[K, V], or a model or variant class".to_string()
                });
                self.push(
                    Diagnostic::error(
                        "E0102",
                        format!("unknown type `{name}`"),
                        sub_span(self, s, range.clone()),
                        "not a primitive, model or variant class",
                    )
                    .with_help(help),
                );
                None
            }
            Ast::Generic(name, range, args) => {
                let arity = match *name {
                    "list" | "List" => 1,
                    "dict" | "Dict" => 2,
                    _ => {
                        self.push(
                            Diagnostic::error(
                                "E0121",
                                format!("unknown generic type `{name}`"),
                                sub_span(self, s, range.clone()),
                                "only `list[T]` and `dict[K, V]` take arguments",
                            )
                            .with_help_opt(did_you_mean(name, ["list", "dict"])),
                        );
                        return None;
                    }
                };
                if args.len() != arity {
                    self.push(
                        Diagnostic::error(
                            "E0121",
                            format!(
                                "`{name}` takes {arity} type argument{}, found {}",
                                if arity == 1 { "" } else { "s" },
                                args.len()
                            ),
                            sub_span(self, s, range.clone()),
                            "wrong number of arguments",
                        )
                        .with_help(if arity == 1 {
                            "write `list[T]`"
                        } else {
                            "write `dict[K, V]`, e.g. `dict[string, int]`"
                        }),
                    );
                    return None;
                }
                if arity == 1 {
                    Some(TypeRef::List(Box::new(self.resolve_ast(&args[0], s)?)))
                } else {
                    let key = self.resolve_ast(&args[0], s);
                    let value = self.resolve_ast(&args[1], s)?;
                    let key_range = match &args[0] {
                        Ast::Name(_, r) | Ast::Generic(_, r, _) => r.clone(),
                    };
                    let key = self.dict_key(key?, sub_span(self, s, key_range))?;
                    Some(TypeRef::Dict(key, Box::new(value)))
                }
            }
        }
    }

    fn make_enum(&mut self, owner: &Owner<'_>, values: &Spanned<Vec<Spanned<String>>>) -> Option<TypeRef> {
        let mut ok = true;
        if values.value.len() < 2 {
            self.push(
                Diagnostic::error(
                    "E0125",
                    "an enum needs at least two values",
                    values.span,
                    format!("{} value(s)", values.value.len()),
                )
                .with_help("add values, or use a `string` field with a default"),
            );
            ok = false;
        }
        let mut seen: Vec<&Spanned<String>> = Vec::new();
        for v in &values.value {
            if let Some(first) = seen.iter().find(|s| s.value == v.value) {
                self.push(
                    Diagnostic::error("E0126", format!("duplicate enum value `{}`", v.value), v.span, "duplicate")
                        .with_label(first.span, "first here")
                        .with_help("remove one of them"),
                );
                ok = false;
            } else {
                seen.push(v);
            }
            if !is_identifier(&v.value) || v.value.starts_with('_') {
                self.push(
                    Diagnostic::error(
                        "E0127",
                        format!("enum value `{}` is not a valid identifier", v.value),
                        v.span,
                        "not an identifier",
                    )
                    .with_help("enum values are identifiers (letters, digits, `_`), not starting with a digit or `_`"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let name = owner.enum_name();
        // Compared in place: most fields of a large spec name an enum that exists already.
        let same = |existing: &Enum| {
            existing.description.as_deref() == owner.description
                && existing.values.len() == values.value.len()
                && existing.values.iter().zip(&values.value).all(|(a, b)| *a == b.value)
        };
        match self.enum_named(&name) {
            Some(existing) if !same(existing) => {
                self.push(
                    Diagnostic::error(
                        "E0128",
                        format!("enum class `{name}` would be defined twice with different values"),
                        values.span,
                        "second definition",
                    )
                    .with_help("give the fields different names or the same values"),
                );
                return None;
            }
            Some(_) => {}
            None => {
                if self.class_names.contains(&name) {
                    self.push(
                        Diagnostic::error(
                            "E0109",
                            format!("enum class `{name}` has the name of a model or variant class"),
                            values.span,
                            "enum generated from this field",
                        )
                        .with_help("rename the field or the model"),
                    );
                    return None;
                }
                self.enum_index.insert(name.clone(), self.enums.len());
                self.enums.push(Enum {
                    name: name.clone(),
                    values: values.value.iter().map(|v| v.value.clone()).collect(),
                    description: owner.description.map(str::to_string),
                });
            }
        }
        Some(TypeRef::Enum(name))
    }
}

fn type_expr_span(e: &TypeExpr) -> Span {
    match e {
        TypeExpr::Short(s) => s.span,
        TypeExpr::Full(spec) => spec.ty.span,
    }
}

/// Human description of a type, for messages.
pub(crate) fn describe(t: &TypeRef) -> String {
    match t {
        TypeRef::Primitive(p) => format!("`{}`", p.spec_name()),
        TypeRef::List(_) => "a list".into(),
        TypeRef::Dict(..) => "a dict".into(),
        TypeRef::Optional(inner) => describe(inner),
        TypeRef::Enum(name) => format!("the enum `{name}`"),
        TypeRef::Class(name) => format!("the class `{name}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_parses_nesting_and_spaces() {
        let ast = parse_shorthand("dict[string, list[BookRead]]").unwrap();
        let Ast::Generic(name, _, args) = ast else { panic!() };
        assert_eq!(name, "dict");
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn shorthand_errors_point_inside_the_string() {
        assert_eq!(parse_shorthand("list[int").unwrap_err().1, 4..5);
        assert!(parse_shorthand("list[").is_err());
        assert!(parse_shorthand("int]").is_err());
    }

    #[test]
    fn pascal_case() {
        let pascal = |name: &str| {
            let mut out = String::new();
            push_pascal(&mut out, name);
            out
        };
        assert_eq!(pascal("reading_status"), "ReadingStatus");
        assert_eq!(pascal("x"), "X");
    }
}
