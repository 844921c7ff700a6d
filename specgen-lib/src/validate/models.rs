//! models.yaml: model and field names, variants, the final field list of every class.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diagnostics::{did_you_mean, Diagnostic, Span};
use crate::ir::{Class, Field, Ir, Model, TypeRef};
use crate::name_map::NameMap;
use crate::spec::models::{FieldDef, FieldSpec, ModelSpec, ModelsFile, TypeExpr};
use crate::spec::Spanned;

use super::types::Owner;
use super::values::RawConstraints;
use super::{is_identifier, is_pascal, lower_in_parts, Ctx};

/// Variants whose classes drop readonly fields: they describe what a client sends.
pub(crate) const INPUT_VARIANTS: [&str; 3] = ["Create", "Update", "Patch"];

/// From this many models on, pass 2 of [`lower`] runs on two threads: it is mostly allocation
/// (every field, and each variant class's list of them), which a small project does not have
/// enough of to pay for a thread.
pub(crate) const PARALLEL_MODELS: usize = 256;

/// Checks models.yaml and fills `ir.models` and `ir.classes`; files of `parallel_models` models
/// or more are lowered on two threads, with the same IR and diagnostics.
pub(crate) fn lower(ctx: &mut Ctx, file: &ModelsFile, ir: &mut Ir, parallel_models: usize) {
    // Pass 1: every class name, so references (also recursive ones) resolve in pass 2.
    let classes = file.models.values().map(|model| 1 + model.variants.len()).sum();
    let mut defined: NameMap<String, Span> = NameMap::with_capacity_and_hasher(classes, Default::default());
    for (name, model) in &file.models {
        if !is_pascal(name) {
            ctx.push(
                Diagnostic::error(
                    "E0101",
                    format!("model name `{}` is not PascalCase", name.value),
                    name.span,
                    "not PascalCase",
                )
                .with_help(
                    "model names start with an upper-case letter and contain only letters and digits, e.g. `BookCopy`",
                ),
            );
        }
        declare(ctx, &mut defined, name.value.clone(), name.span, "model");
        for (variant, _) in &model.variants {
            if !is_pascal(variant) {
                ctx.push(
                    Diagnostic::error(
                        "E0101",
                        format!("variant name `{}` is not PascalCase", variant.value),
                        variant.span,
                        "not PascalCase",
                    )
                    .with_help("variant names look like `Create`, `Read`, `Summary`"),
                );
            }
            declare(ctx, &mut defined, class_name(&name.value, &variant.value), variant.span, "variant class");
        }
    }
    ctx.class_names = Arc::new(defined.into_keys().collect());

    // Pass 2: fields, then classes.
    let models: Vec<(&Spanned<String>, &ModelSpec)> = file.models.iter().collect();
    ir.classes.reserve(ctx.class_names.len());
    ir.models.reserve(models.len());
    if models.len() < parallel_models.max(2) {
        ctx.class_index.reserve(ctx.class_names.len());
        lower_models(ctx, &models, &mut ir.classes, &mut ir.models);
    } else {
        lower_models_in_parts(ctx, &models, ir);
    }
    check_required_cycles(ctx, ir, file);
}

/// Pass 2 over `models` on two threads ([`lower_in_parts`]): what the serial pass gives, IR and
/// diagnostics.
fn lower_models_in_parts(ctx: &mut Ctx, models: &[(&Spanned<String>, &ModelSpec)], ir: &mut Ir) {
    // Sized once for every class, so that merging the parts' positions never regrows it.
    ctx.class_index.reserve(ctx.class_names.len());
    // Each pattern compiled once here, where every fork finds it: otherwise each part would
    // compile the few patterns a large project repeats, and merging would drop the copies.
    for (_, model) in models {
        for def in model.fields.values() {
            if let FieldDef::Full(spec) = def {
                if let Some(pattern) = &spec.pattern {
                    let _ = ctx.regex(&pattern.value);
                }
            }
        }
    }
    let lower = |fork: &mut Ctx<'_>, part: &[(&Spanned<String>, &ModelSpec)]| {
        let mut classes = Vec::with_capacity(part.iter().map(|(_, model)| 1 + model.variants.len()).sum());
        fork.class_index.reserve(classes.capacity());
        let mut lowered = Vec::with_capacity(part.len());
        lower_models(fork, part, &mut classes, &mut lowered);
        (classes, lowered)
    };
    lower_in_parts(ctx, models, lower, |ctx, found, (classes, lowered)| {
        ctx.merge(found, ir.classes.len());
        ir.classes.extend(classes);
        ir.models.extend(lowered);
    });
}

/// Lowers the fields of `models` and appends their classes (the base class, then one per
/// variant) to `classes` and the models to `lowered`; `ctx.class_index` gets their positions in
/// `classes`.
fn lower_models(
    ctx: &mut Ctx,
    models: &[(&Spanned<String>, &ModelSpec)],
    classes: &mut Vec<Class>,
    lowered: &mut Vec<Model>,
) {
    for &(name, model) in models {
        let mut fields: Vec<Arc<Field>> = Vec::with_capacity(model.fields.len());
        fields.extend(
            model
                .fields
                .iter()
                .filter_map(|(field_name, def)| lower_field(ctx, &name.value, field_name, def))
                .map(Arc::new),
        );
        let mut variants = Vec::with_capacity(model.variants.len());
        // The base class comes first; it gets its fields (moved) once the variants have taken
        // theirs.
        let base = classes.len();
        ctx.class_index.insert(name.value.clone(), base);
        classes.push(Class {
            name: name.value.clone(),
            model: name.value.clone(),
            variant: None,
            description: model.description.clone(),
            fields: Vec::new(),
        });
        for (variant, spec) in &model.variants {
            let class_name = class_name(&name.value, &variant.value);
            let known = || model.fields.keys().map(|k| k.value.as_str());
            for listed in spec.exclude.iter().chain(&spec.optional) {
                if !known().any(|k| k == listed.value) {
                    ctx.push(
                        Diagnostic::error(
                            "E0104",
                            format!("variant `{}` names unknown field `{}`", variant.value, listed.value),
                            listed.span,
                            format!("not a field of `{}`", name.value),
                        )
                        .with_help_opt(did_you_mean(&listed.value, known())),
                    );
                }
            }
            for opt in &spec.optional {
                if let Some(ex) = spec.exclude.iter().find(|e| e.value == opt.value) {
                    ctx.push(
                        Diagnostic::error(
                            "E0106",
                            format!("field `{}` is both excluded and optional in `{}`", opt.value, variant.value),
                            opt.span,
                            "optional here",
                        )
                        .with_label(ex.span, "excluded here")
                        .with_help("remove it from one of the lists"),
                    );
                }
            }
            let drops_readonly = INPUT_VARIANTS.contains(&variant.value.as_str());
            // Sized for every field up front: a filtered collect would grow it (a copy of the
            // fields so far at each step).
            let mut class_fields = Vec::with_capacity(fields.len());
            for f in &fields {
                if spec.exclude.iter().any(|e| e.value == f.name) || (drops_readonly && f.readonly) {
                    continue;
                }
                // A field the variant keeps as it is is the model's own (shared, not copied).
                if spec.optional.iter().any(|o| o.value == f.name) {
                    // "May be absent" in this variant means absent = unchanged (a PATCH):
                    // a default would silently overwrite the stored value.
                    class_fields.push(Arc::new(Field { required: false, default: None, ..Field::clone(f) }));
                } else {
                    class_fields.push(Arc::clone(f));
                }
            }
            ctx.class_index.insert(class_name.clone(), classes.len());
            classes.push(Class {
                name: class_name.clone(),
                model: name.value.clone(),
                variant: Some(variant.value.clone()),
                description: model.description.clone(),
                fields: class_fields,
            });
            variants.push(class_name);
        }
        classes[base].fields = fields;
        lowered.push(Model { name: name.value.clone(), description: model.description.clone(), variants });
    }
}

/// A cycle of required, non-nullable, direct references (A needs a B, which needs an A) has no
/// finite instance: no JSON document could ever validate. Lists, dicts and nullable fields
/// break such cycles (an empty list or `null` ends the recursion), so they are allowed.
fn check_required_cycles(ctx: &mut Ctx, ir: &Ir, file: &ModelsFile) {
    // Only classes with a required reference are nodes: a class without one cannot be on a
    // cycle, and most classes have none. (A class defined twice, an error already, keeps the
    // edges of its last definition, as a map of every class would.)
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for class in &ir.classes {
        let refs: Vec<&str> = required_refs(class).map(|(_, target)| target).collect();
        if !refs.is_empty() {
            graph.insert(class.name.as_str(), refs);
        } else if !graph.is_empty() {
            graph.remove(class.name.as_str());
        }
    }
    for cycle in super::cycles::find_cycles(&graph) {
        let (last, closing) = (cycle[cycle.len() - 2], cycle[cycle.len() - 1]);
        let class = &ir.classes[ctx.class_index[last]];
        // The first field making the edge that closes the cycle.
        let Some((field, _)) = required_refs(class).find(|(_, target)| *target == closing) else { continue };
        let model = &class.model;
        // Only a cycle needs the span of a field name: look it up then rather than index them all.
        let spec = file.models.iter().find(|(name, _)| name.value == *model).map(|(_, spec)| spec);
        let Some(span) = spec.and_then(|spec| spec.fields.keys().find(|name| name.value == field.name)).map(|n| n.span)
        else {
            continue;
        };
        ctx.push(
            Diagnostic::error(
                "E0130",
                format!("required fields form a cycle: {}", cycle.join(" -> ")),
                span,
                "required reference closing the cycle",
            )
            .with_help("no finite value can satisfy it: make one of the fields `optional: true`, or use a list"),
        );
    }
}

/// The class of variant `variant` of model `model`: `<Model><Variant>`.
fn class_name(model: &str, variant: &str) -> String {
    let mut name = String::with_capacity(model.len() + variant.len());
    name.push_str(model);
    name.push_str(variant);
    name
}

/// The required, non-nullable fields of `class` that refer to a class directly, with that class.
fn required_refs(class: &Class) -> impl Iterator<Item = (&Field, &str)> {
    class.fields.iter().filter(|f| f.required && !f.nullable).filter_map(|f| match &f.ty {
        TypeRef::Class(target) => Some((&**f, target.as_str())),
        _ => None,
    })
}

fn declare(ctx: &mut Ctx, defined: &mut NameMap<String, Span>, name: String, span: Span, what: &str) {
    if let Some(first) = defined.get(&name) {
        ctx.push(
            Diagnostic::error(
                "E0108",
                format!("class `{name}` is defined twice"),
                span,
                format!("this {what} is named `{name}`"),
            )
            .with_label(*first, "first defined here")
            .with_help("a variant `V` of model `M` is the class `MV`; rename the model or the variant"),
        );
    } else {
        defined.insert(name, span);
    }
}

fn lower_field<'a>(ctx: &mut Ctx, model: &'a str, name: &'a Spanned<String>, def: &'a FieldDef) -> Option<Field> {
    if !is_identifier(name) || name.value.starts_with('_') {
        ctx.push(
            Diagnostic::error("E0105", format!("field name `{}` is not a valid identifier", name.value), name.span, "invalid field name")
                .with_help("field names are letters, digits and `_`, starting with a letter (a leading `_` makes a private attribute in Pydantic)"),
        );
        return None;
    }
    let owner =
        |description: Option<&'a str>| Owner { prefix: model, snake_prefix: false, name: &name.value, description };
    match def {
        FieldDef::Short(ty) => {
            let ty = ctx.resolve_short(ty, &owner(None), None)?;
            Some(Field::plain(name.value.clone(), ty))
        }
        FieldDef::Full(spec) => lower_full_field(ctx, name, spec, &owner(spec.description.as_deref())),
    }
}

fn lower_full_field(ctx: &mut Ctx, name: &Spanned<String>, spec: &FieldSpec, owner: &Owner<'_>) -> Option<Field> {
    if let Some(values) = &spec.values {
        let is_enum = match &spec.ty {
            TypeExpr::Short(s) => s.value.trim() == "enum",
            TypeExpr::Full(t) => t.ty.value == "enum",
        };
        if !is_enum {
            ctx.push(
                Diagnostic::error(
                    "E0129",
                    "`values` is only allowed with `type: enum`",
                    values.span,
                    "values on a non-enum field",
                )
                .with_help("set `type: enum`, or remove `values`"),
            );
        }
    }
    let ty = ctx.resolve_type(&spec.ty, owner, spec.values.as_deref())?;
    let raw = RawConstraints {
        ge: spec.ge.as_deref(),
        gt: spec.gt.as_deref(),
        le: spec.le.as_deref(),
        lt: spec.lt.as_deref(),
        min_length: spec.min_length.as_deref(),
        max_length: spec.max_length.as_deref(),
        pattern: spec.pattern.as_deref(),
    };
    let constraints = ctx.lower_constraints(&ty, &raw);
    // The template's enum form carries its default inside the type map.
    let type_default = match &spec.ty {
        TypeExpr::Full(t) => t.default.as_ref(),
        TypeExpr::Short(_) => None,
    };
    if let (Some(a), Some(b)) = (&spec.default, type_default) {
        ctx.push(
            Diagnostic::error("E0114", "two defaults for one field", a.span, "field default")
                .with_label(b.span, "default inside the type")
                .with_help("keep one of them"),
        );
    }
    let default = match spec.default.as_deref().or(type_default) {
        Some(d) => Some(ctx.check_default(&ty, spec.optional, &constraints, d)?),
        None => None,
    };
    Some(Field {
        name: name.value.clone(),
        required: !spec.optional && default.is_none(),
        nullable: spec.optional,
        ty,
        default: default.map(Box::new),
        readonly: spec.readonly,
        description: spec.description.clone(),
        constraints: constraints.into(),
    })
}
