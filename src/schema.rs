//! Schemas of the provider block, resources and data sources, with small builders.
//!
//! Besides what Terraform sees, an attribute carries two planning hints the generic planner in
//! [`crate::resource`] uses: `force_new` (a change replaces the resource) and `default`.

use crate::tfvalue::{Type, Value};

/// A versioned schema: the block plus the state version for `UpgradeResourceState`.
#[derive(Clone, Debug)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

/// A configuration block: attributes and nested blocks.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// Markdown description (shown by `terraform providers schema` and in docs).
    pub description: String,
    pub deprecated: bool,
}

/// One attribute. Exactly one of `required`, `optional`, `computed` (or `optional` + `computed`).
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    /// Planning hint: a change to this attribute forces replacement.
    pub force_new: bool,
    /// Planning hint: the value planned when the configuration leaves the attribute null.
    pub default: Option<Value>,
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; its value is an object, or null when absent.
    Single,
    List,
    Set,
    Map,
    /// Exactly one, never null; absent means all attributes null.
    Group,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The object type of a value conforming to this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// A configuration of this schema with only `pairs` set and everything else null: the
    /// shape Terraform sends for a sparse configuration, which the unit tests build a lot.
    #[cfg(test)]
    pub(crate) fn config_with(&self, pairs: &[(&str, Value)]) -> Value {
        self.block.config_with(pairs)
    }

    /// [`Schema::config_with`] for the nested block `name` (e.g. a single `endpoints` block).
    #[cfg(test)]
    pub(crate) fn nested_config_with(&self, name: &str, pairs: &[(&str, Value)]) -> Value {
        let nested = self.block.blocks.iter().find(|b| b.type_name == name);
        nested
            .unwrap_or_else(|| panic!("no nested block {name}"))
            .block
            .config_with(pairs)
    }
}

impl Block {
    #[cfg(test)]
    fn config_with(&self, pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::null_object(&self.value_type());
        for (k, val) in pairs {
            v.set(k, val.clone());
        }
        v
    }

    pub fn new(description: impl Into<String>) -> Block {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Block {
        self.blocks.push(block);
        self
    }

    /// The attribute called `name`, if any.
    pub fn find(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type of a value of this block.
    pub fn value_type(&self) -> Type {
        let attrs = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()));
        let blocks = self.blocks.iter().map(|b| {
            let inner = b.block.value_type();
            let ty = match b.nesting {
                Nesting::Single | Nesting::Group => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
                Nesting::Map => Type::map(inner),
            };
            (b.type_name.clone(), ty)
        });
        Type::object(attrs.chain(blocks))
    }
}

impl Attribute {
    fn new(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty,
            description: description.to_string(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            force_new: false,
            default: None,
        }
    }

    pub fn required(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(name, ty, description)
        }
    }

    pub fn optional(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(name, ty, description)
        }
    }

    pub fn computed(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(name, ty, description)
        }
    }

    /// Optional, and computed by the provider when the configuration leaves it null.
    pub fn optional_computed(name: &str, ty: Type, description: &str) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(name, ty, description)
        }
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }

    /// A default makes the attribute optional + computed: Terraform must accept the planned value.
    pub fn default(mut self, value: Value) -> Attribute {
        self.optional = true;
        self.computed = true;
        self.required = false;
        self.default = Some(value);
        self
    }
}

impl NestedBlock {
    pub fn single(type_name: &str, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.to_string(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn list(type_name: &str, block: Block, max_items: i64) -> NestedBlock {
        NestedBlock {
            type_name: type_name.to_string(),
            block,
            nesting: Nesting::List,
            min_items: 0,
            max_items,
        }
    }
}

/// Declares `$name`, a resource, data source or ephemeral resource of Terraform type
/// `$type_name` that holds the schema its module's `schema()` builds, once: the struct, `new`
/// and `Default`, and its [`ObjectType`](crate::resource::ObjectType) (type name and schema).
macro_rules! holds_schema {
    ($name:ident, $type_name:expr) => {
        pub struct $name {
            schema: $crate::schema::Schema,
        }

        impl $name {
            pub fn new() -> $name {
                $name { schema: schema() }
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl $crate::resource::ObjectType for $name {
            fn type_name(&self) -> &'static str {
                $type_name
            }

            fn schema(&self) -> &$crate::schema::Schema {
                &self.schema
            }
        }
    };
}
pub(crate) use holds_schema;

#[cfg(test)]
mod tests {
    use super::*;

    /// A block's value type includes its attributes and its nested blocks by nesting mode.
    #[test]
    fn value_type_includes_blocks() {
        let block = Block::new("")
            .attribute(Attribute::required("a", Type::String, ""))
            .block(NestedBlock::single(
                "timeouts",
                Block::new("").attribute(Attribute::optional("create", Type::String, "")),
            ))
            .block(NestedBlock::list(
                "items",
                Block::new("").attribute(Attribute::computed("b", Type::Number, "")),
                0,
            ));
        let ty = block.value_type();
        assert_eq!(
            ty,
            Type::object([
                ("a", Type::String),
                ("timeouts", Type::object([("create", Type::String)])),
                ("items", Type::list(Type::object([("b", Type::Number)]))),
            ])
        );
    }
}
