//! The docs cannot drift from the schema: every attribute and block that `terraform providers
//! schema -json` reports appears in its `docs/` page with the same Required / Optional /
//! Computed / Forces-new marking, and the pages document nothing the schema lacks (the check
//! `tfplugindocs` gives Go providers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use terraform_provider_alicloud::resources;

use crate::util::terraform::{Terraform, PROVIDER_ADDRESS};

/// One documented name: its markings and the names of its nested bullets.
#[derive(Debug, Default)]
struct Entry {
    /// The words in the parentheses after ` - `, e.g. `["Optional", "Computed"]`.
    markings: BTreeSet<String>,
    section: String,
    nested: BTreeSet<String>,
}

/// The bullets of a page's "Argument Reference" and "Attribute Reference" sections, by name.
/// Top-level bullets (`* \`name\` - ...`) are entries; indented bullets below one are its
/// nested names. Names documented in other sections (e.g. "Timeouts") count as nested names
/// of the block the section is named after, lower-cased.
fn parse_page(text: &str) -> BTreeMap<String, Entry> {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut section = String::new();
    let mut current: Option<String> = None;
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            section = title.trim().to_string();
            current = None;
            continue;
        }
        let indented = line.starts_with(' ');
        let Some(rest) = line.trim_start().strip_prefix("* `") else {
            continue;
        };
        let Some((name, after)) = rest.split_once('`') else {
            continue;
        };
        let is_reference = section == "Argument Reference" || section == "Attribute Reference";
        if !indented && is_reference && entries.contains_key(name) {
            // Listed again under Attribute Reference (an optional, computed argument): the
            // argument's entry stands.
            current = Some(name.to_string());
        } else if !indented && is_reference {
            let markings = after
                .strip_prefix(" - (")
                .and_then(|m| m.split_once(')'))
                .map(|(m, _)| m.split(',').map(|w| w.trim().to_string()).collect())
                .unwrap_or_default();
            entries.insert(
                name.to_string(),
                Entry {
                    markings,
                    section: section.clone(),
                    nested: BTreeSet::new(),
                },
            );
            current = Some(name.to_string());
        } else if indented && is_reference {
            if let Some(parent) = current.as_ref().and_then(|c| entries.get_mut(c)) {
                parent.nested.insert(name.to_string());
            }
        } else if !is_reference && !section.is_empty() {
            // A section of its own for a block, e.g. "## Timeouts" documents `timeouts`.
            let block = section.to_lowercase().replace(' ', "_");
            entries
                .entry(format!("section:{block}"))
                .or_default()
                .nested
                .insert(name.to_string());
        }
    }
    entries
}

/// What a page must say of one schema attribute, as a list of problems (empty when right).
fn check_attribute(
    page: &Path,
    entries: &BTreeMap<String, Entry>,
    name: &str,
    attr: &Value,
    hints: &Hints,
) -> Vec<String> {
    let force_new = hints.force_new.contains(name);
    let has_default = hints.defaults.contains(name);
    let flag = |k: &str| attr[k].as_bool().unwrap_or(false);
    let (required, optional, computed) = (flag("required"), flag("optional"), flag("computed"));
    let Some(entry) = entries.get(name) else {
        return vec![format!("{}: `{name}` is not documented", page.display())];
    };
    let mut problems = Vec::new();
    let has = |w: &str| entry.markings.contains(w);
    let mut expect = |ok: bool, what: &str| {
        if !ok {
            problems.push(format!(
                "{}: `{name}` {what} (documented in \"{}\" as {:?})",
                page.display(),
                entry.section,
                entry.markings
            ))
        }
    };
    if required || optional {
        expect(
            entry.section == "Argument Reference",
            "is an argument: document it under Argument Reference",
        );
        expect(
            has("Required") == required,
            "must be marked Required exactly when required",
        );
        expect(
            has("Optional") == optional,
            "must be marked Optional exactly when optional",
        );
        // An attribute with a default is computed on the wire only to carry the default: the
        // page says "Optional" and gives the default instead.
        expect(
            has("Computed") == (computed && !has_default),
            "must be marked Computed exactly when optional and computed without a default",
        );
        expect(
            has("Forces new resource") == force_new,
            "must be marked \"Forces new resource\" exactly when a change replaces it",
        );
    } else {
        expect(
            entry.section == "Attribute Reference",
            "is computed only: document it under Attribute Reference",
        );
    }
    // An attribute whose elements are objects documents each of their attributes below it.
    if let Some(fields) = object_fields(&attr["type"]) {
        for field in fields {
            if !entry.nested.contains(&field) {
                problems.push(format!(
                    "{}: `{name}.{field}` is not documented below `{name}`",
                    page.display()
                ));
            }
        }
        for extra in entry
            .nested
            .difference(&object_fields(&attr["type"]).unwrap_or_default())
        {
            problems.push(format!(
                "{}: `{name}.{extra}` is documented but not in the schema",
                page.display()
            ));
        }
    }
    problems
}

/// The attribute names of an object type, or of a list/set/map of objects.
fn object_fields(ty: &Value) -> Option<BTreeSet<String>> {
    match ty {
        Value::Array(parts) if parts.first() == Some(&Value::from("object")) => parts
            .get(1)
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect()),
        Value::Array(parts) if parts.len() == 2 => object_fields(&parts[1]),
        _ => None,
    }
}

/// Checks one schema block (attributes and nested blocks) against its page file.
fn check_block(page: &Path, block: &Value, hints: &Hints, problems: &mut Vec<String>) {
    let text = std::fs::read_to_string(page)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", page.display()));
    check_page_text(page, &text, block, hints, problems);
}

/// The comparison itself: one schema block against the `text` of its page (named `page` in the
/// problems it adds).
fn check_page_text(
    page: &Path,
    text: &str,
    block: &Value,
    hints: &Hints,
    problems: &mut Vec<String>,
) {
    let entries = parse_page(text);
    let mut in_schema = BTreeSet::new();
    if let Some(attrs) = block["attributes"].as_object() {
        for (name, attr) in attrs {
            in_schema.insert(name.clone());
            problems.extend(check_attribute(page, &entries, name, attr, hints));
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, nested) in blocks {
            in_schema.insert(name.clone());
            let Some(entry) = entries.get(name) else {
                problems.push(format!(
                    "{}: block `{name}` is not documented",
                    page.display()
                ));
                continue;
            };
            let required = nested["min_items"].as_i64().unwrap_or(0) > 0;
            let marking = if required { "Required" } else { "Optional" };
            if !entry.markings.contains(marking) {
                problems.push(format!(
                    "{}: block `{name}` must be marked {marking} (documented as {:?})",
                    page.display(),
                    entry.markings
                ));
            }
            let section = entries.get(&format!("section:{name}"));
            let documented: BTreeSet<&String> = entry
                .nested
                .iter()
                .chain(section.into_iter().flat_map(|s| s.nested.iter()))
                .collect();
            let inner = nested["block"]["attributes"]
                .as_object()
                .map(|o| o.keys().cloned().collect::<BTreeSet<_>>())
                .unwrap_or_default();
            for field in &inner {
                if !documented.contains(field) {
                    problems.push(format!(
                        "{}: `{name}.{field}` is not documented (below `{name}` or in a \
                         section named after it)",
                        page.display()
                    ));
                }
            }
        }
    }
    for (name, entry) in &entries {
        if !name.starts_with("section:") && !in_schema.contains(name) {
            problems.push(format!(
                "{}: `{name}` is documented under {} but is not in the schema",
                page.display(),
                entry.section
            ));
        }
    }
}

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// What `providers schema -json` does not carry, from the provider's own schema: which
/// attributes force replacement and which have a default.
#[derive(Default)]
struct Hints {
    force_new: BTreeSet<String>,
    defaults: BTreeSet<String>,
}

/// `kind` is the key of `providers schema -json`: a resource and a data source may share a name.
fn hints_of(kind: &str, type_name: &str) -> Hints {
    let schemas: Vec<_> = match kind {
        "resource_schemas" => resources::resources()
            .iter()
            .filter(|r| r.type_name() == type_name)
            .map(|r| r.schema().clone())
            .collect(),
        "data_source_schemas" => resources::data_sources()
            .iter()
            .filter(|d| d.type_name() == type_name)
            .map(|d| d.schema().clone())
            .collect(),
        _ => Vec::new(),
    };
    let names = |keep: fn(&terraform_provider_alicloud::schema::Attribute) -> bool| {
        schemas
            .iter()
            .flat_map(|s| s.block.attributes.iter())
            .filter(|a| keep(a))
            .map(|a| a.name.clone())
            .collect()
    };
    Hints {
        force_new: names(|a| a.force_new),
        defaults: names(|a| a.default.is_some()),
    }
}

/// Every resource, data source and the provider block are documented exactly as the schema says.
#[test]
fn docs_match_the_schema() {
    let tf = Terraform::new("docs-schema");
    tf.write(
        "main.tf",
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n}\n",
    );
    let schema = tf.providers_schema_json();
    let provider = &schema["provider_schemas"][PROVIDER_ADDRESS];
    assert!(
        provider.is_object(),
        "provider missing from the schema: {schema}"
    );
    let docs = docs_dir();
    let mut problems = Vec::new();
    let mut pages = 0;
    check_block(
        &docs.join("index.md"),
        &provider["provider"]["block"],
        &Hints::default(),
        &mut problems,
    );
    pages += 1;
    for (kind, folder) in [
        ("resource_schemas", "resources"),
        ("data_source_schemas", "data-sources"),
        ("ephemeral_resource_schemas", "ephemeral-resources"),
    ] {
        let Some(types) = provider[kind].as_object() else {
            continue;
        };
        for (type_name, s) in types {
            let short = type_name.strip_prefix("alicloud_").unwrap_or(type_name);
            let page = docs.join(folder).join(format!("{short}.md"));
            if !page.exists() {
                problems.push(format!("{type_name} has no page {}", page.display()));
                continue;
            }
            check_block(
                &page,
                &s["block"],
                &hints_of(kind, type_name),
                &mut problems,
            );
            pages += 1;
        }
    }
    assert!(pages >= 5, "only {pages} pages checked");
    assert!(
        problems.is_empty(),
        "the docs disagree with `terraform providers schema -json` ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The page parser reads markings, sections and nested bullets, and skips code blocks.
#[test]
fn page_parser_reads_markings_and_nesting() {
    let page = "## Argument Reference\n\n* `a` - (Required, Forces new resource) A.\n  \
                continued.\n* `t` - (Optional) See below.\n\n```\n* `code` - (Optional) x\n```\n\n\
                ## Attribute Reference\n\n* `items` - A list:\n  * `x` - X.\n\n## Timeouts\n\n\
                * `create` - (Default `2h`) C.\n";
    let e = parse_page(page);
    assert_eq!(
        e["a"].markings,
        BTreeSet::from(["Required".to_string(), "Forces new resource".to_string()])
    );
    assert_eq!(e["t"].section, "Argument Reference");
    assert!(!e.contains_key("code"));
    assert!(e["items"].nested.contains("x"));
    assert!(e["section:timeouts"].nested.contains("create"));
}

/// A drifted page fails the comparison: a required argument documented as Optional, a
/// Forces-new marking lost, a computed attribute missing, and a name the schema lacks are each
/// reported; the page that agrees reports nothing.
#[test]
fn a_drifted_page_fails_the_comparison() {
    let block = serde_json::json!({
        "attributes": {
            "db_cluster_id": { "type": "string", "required": true },
            "comment": { "type": "string", "optional": true },
            "status": { "type": "string", "computed": true }
        }
    });
    let hints = Hints {
        force_new: BTreeSet::from(["db_cluster_id".to_string()]),
        defaults: BTreeSet::new(),
    };
    let page = Path::new("docs/resources/example.md");
    let good = "## Argument Reference\n\n* `db_cluster_id` - (Required, Forces new resource) C.\n\
                * `comment` - (Optional) A comment.\n\n## Attribute Reference\n\n\
                * `status` - The status.\n";
    let mut problems = Vec::new();
    check_page_text(page, good, &block, &hints, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");

    let drifted = "## Argument Reference\n\n* `db_cluster_id` - (Optional) C.\n\
                   * `comment` - (Optional) A comment.\n* `ghost` - (Optional) Gone.\n";
    check_page_text(page, drifted, &block, &hints, &mut problems);
    let all = problems.join("\n");
    for expected in [
        "`db_cluster_id` must be marked Required exactly when required",
        "`db_cluster_id` must be marked \"Forces new resource\"",
        "`status` is not documented",
        "`ghost` is documented under Argument Reference but is not in the schema",
    ] {
        assert!(all.contains(expected), "no {expected:?} in:\n{all}");
    }
    assert!(
        all.contains("docs/resources/example.md"),
        "problems name the page: {all}"
    );
}
