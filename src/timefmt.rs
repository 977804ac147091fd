//! The few date formats the APIs and logs need, without a date crate: all UTC, from Unix time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Civil date and time of a Unix timestamp (UTC): (year, month, day, hour, minute, second).
pub fn civil(unix_secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
        (secs % 60) as u32,
    )
}

/// Unix seconds of a civil UTC date and time (the inverse of [`civil`]).
pub fn unix_from_civil(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec)
}

/// Seconds since the Unix epoch (negative before it).
pub fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// The time at `unix_secs` seconds after the epoch.
pub fn from_unix_secs(unix_secs: i64) -> SystemTime {
    if unix_secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix_secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(unix_secs.unsigned_abs())
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`: Alibaba's RPC `Timestamp` and most API times.
pub fn iso8601_seconds(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_secs(t));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `yyyy-MM-ddTHH:mmZ`: the PolarDB DescribeBackups `StartTime` / `EndTime` format.
pub fn iso8601_minutes(t: SystemTime) -> String {
    let (y, mo, d, h, mi, _) = civil(unix_secs(t));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}Z")
}

/// `yyyy-MM-ddTHH:mm:ss.ffffffZ`: exactly six fractional digits, as go-plugin's log parser wants.
pub fn rfc3339_micros(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (y, mo, da, h, mi, s) = civil(d.as_secs() as i64);
    let micros = d.subsec_micros();
    format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}.{micros:06}Z")
}

/// Parses `yyyy-MM-ddTHH:mm[:ss[.fff]]Z` (UTC) into Unix seconds.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.splitn(3, ':');
    let hour: u32 = time_parts.next()?.parse().ok()?;
    let min: u32 = time_parts.next()?.parse().ok()?;
    let sec: u32 = match time_parts.next() {
        Some(sec) => sec.split('.').next()?.parse().ok()?,
        None => 0,
    };
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && min < 60
        && sec < 61
        && date.len() == 10;
    valid.then(|| unix_from_civil(year, month, day, hour, min, sec))
}

/// The number of days of `month` (1-12) in `year`, by the Gregorian rules.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known instants format exactly as the APIs expect.
    #[test]
    fn formats_known_instants() {
        let t = from_unix_secs(1_764_070_706); // 2025-11-25T11:38:26Z
        assert_eq!(iso8601_seconds(t), "2025-11-25T11:38:26Z");
        assert_eq!(iso8601_minutes(t), "2025-11-25T11:38Z");
        assert_eq!(iso8601_seconds(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = from_unix_secs(unix_from_civil(2024, 2, 29, 23, 59, 59));
        assert_eq!(iso8601_seconds(leap), "2024-02-29T23:59:59Z");
    }

    /// Log timestamps always carry six fractional digits.
    #[test]
    fn micros_have_six_digits() {
        let t = UNIX_EPOCH + Duration::from_micros(1_500_000_000_000_123);
        assert_eq!(rfc3339_micros(t), "2017-07-14T02:40:00.000123Z");
    }

    /// Parsing inverts formatting, with and without seconds; garbage is refused.
    #[test]
    fn parse_round_trips() {
        for secs in [0, 951_782_400, 1_764_070_706, 4_102_444_799] {
            let t = from_unix_secs(secs);
            assert_eq!(parse_iso8601(&iso8601_seconds(t)), Some(secs));
            assert_eq!(parse_iso8601(&iso8601_minutes(t)), Some(secs - secs % 60));
        }
        assert_eq!(parse_iso8601("2025-13-01T00:00Z"), None);
        assert_eq!(parse_iso8601("2025-02-31T00:00Z"), None);
        assert_eq!(parse_iso8601("2025-04-31T00:00Z"), None);
        assert_eq!(parse_iso8601("2025-02-29T00:00Z"), None);
        assert_eq!(parse_iso8601("1900-02-29T00:00Z"), None);
        assert!(parse_iso8601("2000-02-29T00:00Z").is_some());
        assert!(parse_iso8601("2024-02-29T23:59Z").is_some());
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(
            parse_iso8601("2025-01-01T00:00:00.123Z"),
            Some(1_735_689_600)
        );
    }
}
