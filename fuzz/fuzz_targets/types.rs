//! The fixed types the fuzz targets decode against: the shapes a provider schema uses.

use terraform_provider_alicloud::tfvalue::Type;

pub fn fixed_types() -> Vec<Type> {
    let nested = Type::object([
        ("name", Type::String),
        ("count", Type::Number),
        ("flags", Type::set(Type::Bool)),
    ]);
    vec![
        Type::Dynamic,
        Type::String,
        Type::Number,
        Type::list(Type::Dynamic),
        Type::map(Type::Number),
        Type::Tuple(vec![Type::String, Type::Number, Type::Dynamic]),
        Type::object([
            ("id", Type::String),
            ("size", Type::Number),
            ("enabled", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("items", Type::list(nested)),
            ("any", Type::Dynamic),
        ]),
    ]
}
