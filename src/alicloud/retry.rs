//! The one retry policy: exponential backoff with full jitter, bounded by `max_retry_timeout`.
