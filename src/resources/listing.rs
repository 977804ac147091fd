//! What both data sources do alike: the default time window, reading every page of a listing,
//! and the state they answer with. Each data source keeps its query, its time format and how
//! one item looks.

use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::alicloud::ApiError;
use crate::diagnostics::Diagnostic;
use crate::resource::ReadResponse;
use crate::schema::{Attribute, Block};
use crate::tfvalue::{Type, Value};

/// The window when `start_time` is left out.
const DEFAULT_LOOKBACK: Duration = super::BACKUP_LOOKBACK;

/// A bound on pages, so a service that never stops paging cannot loop us forever.
const MAX_PAGES: u32 = 1000;

/// The window's defaults seen from `now`: [`DEFAULT_LOOKBACK`] back, and a day ahead so that a
/// backup begun just now (or on a clock a little ahead) is inside.
pub(super) fn default_window(now: SystemTime) -> (SystemTime, SystemTime) {
    let start = now.checked_sub(DEFAULT_LOOKBACK).unwrap_or(now);
    (start, now + Duration::from_secs(86_400))
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

/// Every item of a paged listing: the one paging helper of the data sources and of PolarDB-X
/// adoption. `fetch(page)` asks for one page (numbered from 1) of `page_size` items and answers
/// its items with the total the service reports, 0 when it reports none.
///
/// A server may cap the page size below what was asked (the docs do not promise the size asked
/// for), so a short page proves nothing: the listing ends when the reported total is reached,
/// or, without a total, at the first empty page (one more call, the price of not guessing).
pub(super) async fn all_pages<T, Fut>(
    page_size: u32,
    mut fetch: impl FnMut(u32) -> Fut,
) -> Result<Vec<T>, ApiError>
where
    Fut: Future<Output = Result<(Vec<T>, u64), ApiError>>,
{
    let mut all = Vec::new();
    for page in 1..=MAX_PAGES {
        let (items, total) = fetch(page).await?;
        let n = items.len();
        all.extend(items);
        if n == 0 || (total > 0 && all.len() as u64 >= total) {
            break;
        }
        if n < page_size as usize {
            tracing::debug!(
                page,
                asked = page_size,
                got = n,
                "short page before the end of the listing: the service caps the page size"
            );
        }
    }
    Ok(all)
}

/// A data-source read that could not list: no state, only why.
pub(super) fn failed(d: Diagnostic) -> ReadResponse {
    ReadResponse {
        diagnostics: vec![d],
        ..ReadResponse::default()
    }
}

/// The answer of a data source: `config` with its `id`, the `items` found as `backups`, and
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A fetcher over `items` in pages of at most `cap` (whatever was asked), reporting
    /// `total` (0: none), that counts the pages asked for in `asked`.
    fn server(
        items: u32,
        cap: u32,
        total: u64,
        asked: &Cell<u32>,
    ) -> impl FnMut(u32) -> std::future::Ready<Result<(Vec<u32>, u64), ApiError>> + '_ {
        move |page: u32| {
            asked.set(asked.get() + 1);
            let from = (page - 1) * cap;
            let got = (from..items.min(from + cap)).collect();
            std::future::ready(Ok((got, total)))
        }
    }

    /// A server that caps pages at 5 while 100 were asked: paging goes on past the first
    /// short page to the reported total, without asking past it.
    #[tokio::test]
    async fn capped_pages_with_total() {
        let asked = Cell::new(0);
        let all = all_pages(100, server(12, 5, 12, &asked)).await.unwrap();
        assert_eq!(all, (0..12).collect::<Vec<_>>());
        assert_eq!(asked.get(), 3);
    }

    /// Without a total, paging ends at the first empty page, never at a short one.
    #[tokio::test]
    async fn capped_pages_without_total() {
        let asked = Cell::new(0);
        let all = all_pages(100, server(12, 5, 0, &asked)).await.unwrap();
        assert_eq!(all.len(), 12);
        assert_eq!(asked.get(), 4, "pages of 5, 5, 2, then an empty one");
        let asked = Cell::new(0);
        assert!(all_pages(100, server(0, 5, 0, &asked))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(asked.get(), 1);
    }

    /// A total that items vanished under ends at the empty page; a listing that grew ends at
    /// the total first reported.
    #[tokio::test]
    async fn total_that_changes() {
        let asked = Cell::new(0);
        assert_eq!(
            all_pages(5, server(7, 5, 20, &asked)).await.unwrap().len(),
            7
        );
        assert_eq!(asked.get(), 3);
        let asked = Cell::new(0);
        assert_eq!(
            all_pages(5, server(30, 5, 10, &asked)).await.unwrap().len(),
            10
        );
        assert_eq!(asked.get(), 2);
    }

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
