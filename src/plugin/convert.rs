//! Conversions between our types and tfplugin6 wire messages: schemas, diagnostics, attribute
//! paths and `DynamicValue`s. Pure functions, so the RPC layer stays a thin dispatcher.

use crate::diagnostics::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::tfvalue::{self, Type, Value};

use super::proto::tfplugin6 as pb;

/// A schema as Terraform receives it.
pub fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block, schema.version)),
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block.blocks.iter().map(nested_to_proto).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated,
    }
}

fn attribute_to_proto(a: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: a.ty.to_json().into_bytes(),
        nested_type: None,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: false,
    }
}

fn nested_to_proto(b: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match b.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
        Nesting::Group => NestingMode::Group,
    };
    pb::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block_to_proto(&b.block, 0)),
        nesting: nesting as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

/// Our diagnostics as Terraform's.
pub fn diagnostics_to_proto(diags: &[Diagnostic]) -> Vec<pb::Diagnostic> {
    diags.iter().map(diagnostic_to_proto).collect()
}

fn diagnostic_to_proto(d: &Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.attribute.as_ref().map(path_to_proto),
    }
}

/// An attribute path as Terraform's step list.
pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// Decodes a `DynamicValue` of type `ty`. Absent means null; msgpack is preferred, JSON is the
/// fallback Terraform uses in a few legacy paths.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else {
        return Ok(Value::Null);
    };
    let decoded = if !dv.msgpack.is_empty() {
        tfvalue::from_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        tfvalue::from_json(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| crate::diagnostics::undecodable(what, &e))
}

/// Encodes a value of type `ty` as msgpack.
pub fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    tfvalue::to_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                format!("Could not encode the {what}"),
                format!(
                    "The provider produced a {what} that does not fit its own schema: {e}. \
                     This is a bug in the provider; please report it."
                ),
            )
        })
}

/// Encodes, or records the failure in `diags` and returns `None`.
pub fn encode_into(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match encode(value, ty, what) {
        Ok(dv) => Some(dv),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Attribute;

    /// Attribute flags, type bytes, nesting and version reach the proto schema.
    #[test]
    fn schema_conversion() {
        let s = Schema::new(
            2,
            Block::new("doc")
                .attribute(Attribute::required("name", Type::String, "n").force_new())
                .attribute(Attribute::computed("id", Type::String, "").sensitive())
                .block(NestedBlock::single(
                    "timeouts",
                    Block::new("").attribute(Attribute::optional("create", Type::String, "")),
                )),
        );
        let p = schema_to_proto(&s);
        assert_eq!(p.version, 2);
        let b = p.block.unwrap();
        assert_eq!(b.description, "doc");
        assert_eq!(b.attributes[0].r#type, br#""string""#.to_vec());
        assert!(b.attributes[0].required && !b.attributes[0].optional);
        assert!(b.attributes[1].computed && b.attributes[1].sensitive);
        assert_eq!(b.block_types[0].type_name, "timeouts");
        assert_eq!(
            b.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
    }

    /// Diagnostics keep severity and every kind of path step.
    #[test]
    fn diagnostic_conversion() {
        let mut path = AttributePath::attr("items").index(3);
        path.steps.push(PathStep::Key("k".into()));
        let d = Diagnostic::warning("s", "d").at(path);
        let p = diagnostics_to_proto(&[d]);
        assert_eq!(p[0].severity, pb::diagnostic::Severity::Warning as i32);
        let steps = &p[0].attribute.as_ref().unwrap().steps;
        use pb::attribute_path::step::Selector;
        assert_eq!(
            steps[0].selector,
            Some(Selector::AttributeName("items".into()))
        );
        assert_eq!(steps[1].selector, Some(Selector::ElementKeyInt(3)));
        assert_eq!(
            steps[2].selector,
            Some(Selector::ElementKeyString("k".into()))
        );
    }

    /// A missing DynamicValue is null, not an error.
    #[test]
    fn absent_value_is_null() {
        assert_eq!(decode(None, &Type::String, "config"), Ok(Value::Null));
    }
}
