//! `tracing` to stderr as JSON lines that go-plugin merges into Terraform's log.
//!
//! go-plugin parses a provider's stderr line by line; a JSON object with `@level`, `@message`
//! and `@timestamp` (exactly six fractional digits) becomes a structured entry of Terraform's
//! log, other keys become key/value pairs. Anything else is logged raw. The level comes from
//! `TF_LOG_PROVIDER`, else `TF_LOG`; unset means no subscriber at all, so logging costs nothing.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The level named by Terraform's log variables: `TF_LOG_PROVIDER` wins over `TF_LOG`.
/// `JSON` means trace (Terraform's JSON log mode); an unrecognised value means trace, as in
/// Terraform; `OFF` or unset means no logging.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> Option<Level> {
    let value = tf_log_provider
        .filter(|v| !v.trim().is_empty())
        .or(tf_log.filter(|v| !v.trim().is_empty()))?;
    match value.trim().to_ascii_uppercase().as_str() {
        "OFF" => None,
        "ERROR" => Some(Level::ERROR),
        "WARN" => Some(Level::WARN),
        "INFO" => Some(Level::INFO),
        "DEBUG" => Some(Level::DEBUG),
        _ => Some(Level::TRACE),
    }
}

/// Installs the JSON stderr logger when the environment asks for logs.
pub fn init_from_env() {
    let provider = std::env::var("TF_LOG_PROVIDER").ok();
    let global = std::env::var("TF_LOG").ok();
    let Some(level) = level_from_env(provider.as_deref(), global.as_deref()) else {
        return;
    };
    let subscriber =
        tracing_subscriber::registry().with(JsonStderr.with_filter(LevelFilter::from_level(level)));
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The layer: one JSON object per event, written to stderr in a single write.
pub struct JsonStderr;

impl<S: Subscriber> Layer<S> for JsonStderr {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = format_event(event, std::time::SystemTime::now());
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// The JSON line of one event (without newline).
pub fn format_event(event: &Event<'_>, now: std::time::SystemTime) -> String {
    let mut fields = FieldMap::default();
    event.record(&mut fields);
    let mut obj = serde_json::Map::new();
    obj.insert("@level".into(), level_name(event.metadata().level()).into());
    obj.insert("@message".into(), fields.message.unwrap_or_default().into());
    obj.insert("@module".into(), "provider".into());
    obj.insert(
        "@timestamp".into(),
        crate::timefmt::rfc3339_micros(now).into(),
    );
    for (k, v) in fields.extra {
        obj.entry(k).or_insert(v);
    }
    serde_json::Value::Object(obj).to_string()
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Collects an event's fields: `message` apart, the rest as JSON values.
#[derive(Default)]
struct FieldMap {
    message: Option<String>,
    extra: Vec<(String, serde_json::Value)>,
}

impl FieldMap {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.extra.push((field.name().to_string(), value));
        }
    }
}

impl Visit for FieldMap {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.put(field, s.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, UNIX_EPOCH};

    /// `TF_LOG_PROVIDER` wins, `JSON` is trace, unset and `OFF` disable logging.
    #[test]
    fn levels() {
        assert_eq!(
            level_from_env(Some("debug"), Some("ERROR")),
            Some(Level::DEBUG)
        );
        assert_eq!(level_from_env(None, Some("JSON")), Some(Level::TRACE));
        assert_eq!(level_from_env(None, Some("WARN")), Some(Level::WARN));
        assert_eq!(level_from_env(Some(""), None), None);
        assert_eq!(level_from_env(None, Some("off")), None);
        assert_eq!(level_from_env(None, None), None);
    }

    /// Captures formatted lines instead of writing to stderr.
    struct Capture(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            let t = UNIX_EPOCH + Duration::from_micros(1_500_000_000_000_042);
            self.0.lock().unwrap().push(format_event(event, t));
        }
    }

    /// An event becomes one JSON object with the go-plugin keys and its fields as extra keys.
    #[test]
    fn event_shape() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sub = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(rpc = "PlanResourceChange", attempt = 2, "retrying");
        });
        let lines = lines.lock().unwrap();
        let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(v["@level"], "warn");
        assert_eq!(v["@message"], "retrying");
        assert_eq!(v["@module"], "provider");
        assert_eq!(v["@timestamp"], "2017-07-14T02:40:00.000042Z");
        assert_eq!(v["rpc"], "PlanResourceChange");
        assert_eq!(v["attempt"], 2);
    }
}
