//! What the data sources do alike: the default time window, the attributes they share, what a
//! PolarDB one reads first, and the state they answer with (reading every page is
//! `alicloud::paging`). Each data source keeps its query, its time format and how one item looks.

use std::time::{Duration, SystemTime};

use crate::diagnostics::{invalid_attribute, Diagnostic};
use crate::provider::ProviderData;
use crate::resource::{Ctx, ReadResponse};
use crate::schema::{Attribute, Block};
use crate::tfvalue::{Type, Value};
use crate::timefmt;

/// The window when `start_time` is left out.
const DEFAULT_LOOKBACK: Duration = crate::resources::BACKUP_LOOKBACK;

/// The window's defaults seen from `now`: [`DEFAULT_LOOKBACK`] back, and a day ahead so that a
/// backup begun just now (or on a clock a little ahead) is inside.
pub(super) fn default_window(now: SystemTime) -> (SystemTime, SystemTime) {
    let start = now.checked_sub(DEFAULT_LOOKBACK).unwrap_or(now);
    (start, now + Duration::from_secs(86_400))
}

/// A plural data source's block, described as `description`, with the `id` it answers with (see
/// [`listed`]), described as `id_description`.
pub(super) fn plural_block(description: &str, id_description: &str) -> Block {
    Block::new(description).attribute(Attribute::computed("id", Type::String, id_description))
}

/// The attributes every data source ends with: the window (`start_time`, `end_time`, written
/// as `time_form`) and what was found (`ids`, and `backups` of `item` type), named `noun`s.
pub(super) fn window_and_results(block: Block, time_form: &str, noun: &str, item: Type) -> Block {
    let opt = |n: &str, d: String| Attribute::optional(n, Type::String, &d);
    let lookback_days = DEFAULT_LOOKBACK.as_secs() / 86_400;
    block
        .attribute(opt(
            "start_time",
            format!("Window start, `{time_form}` (UTC); default {lookback_days} days ago."),
        ))
        .attribute(opt(
            "end_time",
            format!("Window end, `{time_form}` (UTC); default a day from now."),
        ))
        .attribute(Attribute::computed(
            "ids",
            Type::list(Type::String),
            &format!("The {noun}' resource IDs."),
        ))
        .attribute(Attribute::computed(
            "backups",
            Type::list(item),
            &format!("The {noun} found."),
        ))
}

/// The attributes a singular data source takes from its plural's `item` type: every field but
/// those in `skip` (its arguments have them already), computed, described as `id_description`
/// for `id` and as in the `plural` data source for the rest.
pub(super) fn item_attributes(
    mut block: Block,
    item: Type,
    skip: &[&str],
    id_description: &str,
    plural: &str,
) -> Block {
    let Type::Object(fields) = item else {
        return block;
    };
    for (name, ty) in fields {
        if !skip.contains(&name.as_str()) {
            let description = match name.as_str() {
                "id" => id_description.to_string(),
                _ => format!("As in `{plural}`."),
            };
            block = block.attribute(Attribute::computed(&name, ty, &description));
        }
    }
    block
}

/// The PolarDB data sources' window: attributes `start` and `end` of `config`
/// (`yyyy-MM-ddTHH:mmZ`), the default window's ends where they are null.
pub(super) fn window_minutes(config: &Value, start: &str, end: &str) -> (String, String) {
    let (default_start, default_end) = default_window(SystemTime::now());
    let time = |name: &str, default: SystemTime| {
        config
            .str_attr(name)
            .map_or_else(|| timefmt::iso8601_minutes(default), str::to_string)
    };
    (time(start, default_start), time(end, default_end))
}

/// What a PolarDB data source reads first: the configured provider and the `db_cluster_id`.
pub(super) fn provider_and_cluster<'c>(
    ctx: &'c Ctx,
    config: &Value,
) -> Result<(&'c ProviderData, String), Diagnostic> {
    let provider = ctx.provider()?;
    let cluster = config.str_attr("db_cluster_id").ok_or_else(|| {
        invalid_attribute(
            "db_cluster_id",
            "The cluster ID is missing.",
            "Set db_cluster_id.",
        )
    })?;
    Ok((provider, cluster.to_string()))
}

/// A data-source read that could not list: no state, only why.
pub(super) fn failed(d: Diagnostic) -> ReadResponse {
    ReadResponse {
        diagnostics: vec![d],
        ..ReadResponse::default()
    }
}

/// The answer of a singular data source: `config` with every attribute of the chosen `item`.
pub(super) fn chosen(config: Value, item: Option<Value>) -> ReadResponse {
    let mut state = config;
    if let Some(Value::Object(fields)) = item {
        for (name, value) in fields {
            state.set(&name, value);
        }
    }
    ReadResponse {
        new_state: state,
        ..ReadResponse::default()
    }
}

/// The answer of a plural data source: `config` with its `id`, the `items` found as `backups`, and
/// their resource IDs (each item's `id`) as `ids`.
pub(super) fn listed(config: Value, id: Value, items: Vec<Value>) -> ReadResponse {
    let mut state = config;
    state.set("id", id);
    let ids = items
        .iter()
        .map(|item| item.get("id").cloned().unwrap_or(Value::Null))
        .collect();
    state.set("ids", Value::List(ids));
    state.set("backups", Value::List(items));
    ReadResponse {
        new_state: state,
        ..ReadResponse::default()
    }
}

/// Test helper: `schema` has each attribute of `names` exactly once.
#[cfg(test)]
pub(super) fn assert_each_once(schema: &crate::schema::Schema, names: &[&str]) {
    for n in names {
        let count = schema
            .block
            .attributes
            .iter()
            .filter(|a| a.name == *n)
            .count();
        assert_eq!(count, 1, "{n}");
    }
}

/// Test helper: an `item` a data source built has exactly the attributes of its `item_type`.
#[cfg(test)]
pub(super) fn assert_item_fits(item: &Value, item_type: Type) {
    let Type::Object(fields) = item_type else {
        panic!("an item's type is an object, not {item_type:?}")
    };
    let Value::Object(values) = item else {
        panic!("an item is an object, not {item:?}")
    };
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        values.keys().collect::<Vec<_>>()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window attributes say the format and the default the code applies.
    #[test]
    fn window_descriptions() {
        let block = window_and_results(
            Block::new("x"),
            "yyyy-MM-ddTHH:mmZ",
            "backups",
            Type::String,
        );
        let names: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["start_time", "end_time", "ids", "backups"]);
        assert_eq!(
            block.attributes[0].description,
            "Window start, `yyyy-MM-ddTHH:mmZ` (UTC); default 400 days ago."
        );
        assert_eq!(
            block.attributes[2].description,
            "The backups' resource IDs."
        );
    }

    /// `ids` are the items' own IDs, in order.
    #[test]
    fn ids_follow_items() {
        let item = |id: &str| Value::object([("id", Value::string(id))]);
        let config = Value::object([
            ("id", Value::Null),
            ("ids", Value::Null),
            ("backups", Value::Null),
        ]);
        let r = listed(
            config,
            Value::string("pc-a"),
            vec![item("pc-a:1"), item("pc-a:2")],
        );
        assert_eq!(
            r.new_state.get("ids"),
            Some(&Value::List(vec![
                Value::string("pc-a:1"),
                Value::string("pc-a:2")
            ]))
        );
        assert_eq!(r.new_state.str_attr("id"), Some("pc-a"));
    }
}
