//! Reading every page of a paged listing, the one way for every caller.

use std::future::Future;

use super::ApiError;

/// A bound on pages, so a service that never stops paging cannot loop us forever.
const MAX_PAGES: u32 = 1000;

/// Every item of a paged listing: the one paging helper (the data sources, PolarDB-X
/// adoption, the plan-time checks). `fetch(page)` asks for one page (numbered from 1) of `page_size` items and answers
/// its items with the total the service reports, 0 when it reports none.
///
/// A server may cap the page size below what was asked (the docs do not promise the size asked
/// for), so a short page proves nothing: the listing ends when the reported total is reached,
/// or, without a total, at the first empty page (one more call, the price of not guessing).
pub async fn all_pages<T, Fut>(
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
}
