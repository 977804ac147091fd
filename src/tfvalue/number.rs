//! Terraform numbers from and to decimal text, choosing the [`Number`] variant that holds a value
//! exactly.
//!
//! Terraform keeps numbers as 512-bit floats and sends one as a decimal string when neither an
//! `i64` nor an `f64` holds it exactly. Reading `"0.1"` as the nearest `f64` would hand back a
//! different number than Terraform planned ("inconsistent result"), so a string only becomes
//! `Float` when the `f64` equals it digit for digit; otherwise the text is kept as `Decimal`.

use super::Number;

/// A decimal number as sign, significant digits and a power of ten:
/// value = ±digits × 10^exp. `digits` has no leading or trailing zeros; empty means zero.
#[derive(Debug, PartialEq)]
struct Decimal {
    neg: bool,
    digits: String,
    exp: i64,
}

/// The largest decimal exponent accepted; keeps exponent arithmetic far from overflow.
const MAX_EXPONENT: i64 = 1_000_000_000;

/// An exactly represented `f64` has at most 767 significant decimal digits.
const MAX_F64_DIGITS: usize = 800;

/// Splits `[+-]digits[.digits][(e|E)[+-]digits]` (either side of the point may be empty, not
/// both) into a [`Decimal`]; `None` for anything else (`inf`, hex, blanks, empty).
fn split(text: &str) -> Option<Decimal> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if let Some(&c @ (b'+' | b'-')) = b.first() {
        neg = c == b'-';
        i = 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_part = &text[int_start..i];
    let mut frac_part = "";
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_part = &text[start..i];
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut exp: i64 = 0;
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let mut exp_neg = false;
        if let Some(&c @ (b'+' | b'-')) = b.get(i) {
            exp_neg = c == b'-';
            i += 1;
        }
        let start = i;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            exp = exp * 10 + i64::from(c - b'0');
            // Terraform's numbers (Go big.Float) cannot hold such exponents either.
            if exp > MAX_EXPONENT {
                return None;
            }
            i += 1;
        }
        if start == i {
            return None;
        }
        if exp_neg {
            exp = -exp;
        }
    }
    if i != b.len() {
        return None;
    }
    // int_part.frac_part × 10^exp == (int_part frac_part) × 10^(exp - frac_len); leading zeros
    // change nothing, each trailing zero moves into the exponent.
    let joined = format!("{int_part}{frac_part}");
    let significant = joined.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Some(Decimal {
            neg: false,
            digits: String::new(),
            exp: 0,
        });
    }
    let trailing = joined.trim_end_matches('0');
    let trailing = joined.len() - trailing.len();
    let exp = exp
        .saturating_sub(frac_part.len() as i64)
        .saturating_add(trailing as i64);
    Some(Decimal {
        neg,
        digits: significant.to_string(),
        exp,
    })
}

/// The exact decimal value of a finite `f64`.
fn exact(f: f64) -> Option<Decimal> {
    let mut d = split(&format!("{:.*e}", MAX_F64_DIGITS, f.abs()))?;
    d.neg = f.is_sign_negative() && !d.digits.is_empty();
    Some(d)
}

/// The number that decimal `text` denotes: `Int` when it is an integer that fits `i64`, `Float`
/// when an `f64` equals it exactly, else `Decimal` in canonical form (so that equal numbers compare
/// equal: `"10e399"` and `"1e400"` both become `"1e400"`). `None` when `text` is not a decimal
/// number.
pub(super) fn parse(text: &str) -> Option<Number> {
    let d = split(text)?;
    if d.digits.is_empty() {
        return Some(Number::Int(0));
    }
    let sign = if d.neg { "-" } else { "" };
    if d.exp >= 0 && (d.digits.len() as i64).saturating_add(d.exp) <= 19 {
        let zeros = "0".repeat(usize::try_from(d.exp).unwrap_or(0));
        if let Ok(i) = format!("{sign}{}{zeros}", d.digits).parse::<i64>() {
            return Some(Number::Int(i));
        }
    }
    if d.digits.len() <= MAX_F64_DIGITS {
        if let Ok(f) = format!("{sign}{}e{}", d.digits, d.exp).parse::<f64>() {
            if f.is_finite() && exact(f).as_ref() == Some(&d) {
                return Some(Number::Float(f));
            }
        }
    }
    Some(Number::Decimal(plain(&d)))
}

/// A `u64` too large for `i64`: `Float` when exact, else its decimal text.
pub(super) fn from_u64(v: u64) -> Number {
    if let Ok(i) = i64::try_from(v) {
        return Number::Int(i);
    }
    let f = v as f64;
    if f as u128 == u128::from(v) {
        Number::Float(f)
    } else {
        Number::Decimal(v.to_string())
    }
}

/// True when `text` is a decimal number [`parse`] accepts.
pub(super) fn is_decimal(text: &str) -> bool {
    split(text).is_some()
}

/// `n` as a JSON number with its exact value; `None` for NaN, infinities and malformed decimals,
/// which JSON cannot carry.
pub(super) fn to_json_text(n: &Number) -> Option<String> {
    match n {
        Number::Int(i) => Some(i.to_string()),
        Number::Float(f) if f.is_finite() => exact(*f).map(|d| plain(&d)),
        Number::Float(_) => None,
        Number::Decimal(text) => split(text).map(|d| plain(&d)),
    }
}

/// Writes `d` in JSON number syntax: plain digits when short, else scientific notation.
fn plain(d: &Decimal) -> String {
    if d.digits.is_empty() {
        return "0".to_string();
    }
    let sign = if d.neg { "-" } else { "" };
    let n = d.digits.len() as i64;
    // Position of the decimal point counted from the start of `digits`.
    let point = n.saturating_add(d.exp);
    if (0..=40).contains(&d.exp) {
        let zeros = "0".repeat(usize::try_from(d.exp).unwrap_or(0));
        format!("{sign}{}{zeros}", d.digits)
    } else if d.exp < 0 && point > 0 {
        let at = usize::try_from(point).unwrap_or(0);
        format!("{sign}{}.{}", &d.digits[..at], &d.digits[at..])
    } else if d.exp < 0 && point > -20 {
        let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
        format!("{sign}0.{zeros}{}", d.digits)
    } else {
        let (first, rest) = d.digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{sign}{first}{frac}e{}", point.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integers that fit i64 become Int, whatever their spelling.
    #[test]
    fn integers_become_int() {
        assert_eq!(parse("42"), Some(Number::Int(42)));
        assert_eq!(parse("-0"), Some(Number::Int(0)));
        assert_eq!(parse("1e3"), Some(Number::Int(1000)));
        assert_eq!(parse("1500e-2"), Some(Number::Int(15)));
        assert_eq!(parse("00.000"), Some(Number::Int(0)));
        assert_eq!(parse("-9223372036854775808"), Some(Number::Int(i64::MIN)));
    }

    /// 2^63 is exact as f64; 2^63+1 is not and stays as text.
    #[test]
    fn beyond_i64_is_float_when_exact_else_decimal() {
        assert_eq!(
            parse("9223372036854775808"),
            Some(Number::Float(9223372036854775808.0))
        );
        assert_eq!(
            parse("9223372036854775809"),
            Some(Number::Decimal("9223372036854775809".into()))
        );
        assert_eq!(from_u64(1 << 63), Number::Float(9223372036854775808.0));
        assert_eq!(
            from_u64(u64::MAX),
            Number::Decimal("18446744073709551615".into())
        );
    }

    /// Binary fractions are exact floats; 0.1 and 1e400 are kept as text.
    #[test]
    fn fractions_keep_their_exact_value() {
        assert_eq!(parse("0.5"), Some(Number::Float(0.5)));
        assert_eq!(parse("-2.25e0"), Some(Number::Float(-2.25)));
        assert_eq!(parse("0.1"), Some(Number::Decimal("0.1".into())));
        assert_eq!(parse("1e400"), Some(Number::Decimal("1e400".into())));
        assert_eq!(parse("1e-400"), Some(Number::Decimal("1e-400".into())));
        assert_eq!(parse("10e399"), Some(Number::Decimal("1e400".into())));
        assert_eq!(parse("+0.10"), Some(Number::Decimal("0.1".into())));
        let exact_tenth = "0.1000000000000000055511151231257827021181583404541015625";
        assert_eq!(parse(exact_tenth), Some(Number::Float(0.1)));
    }

    /// Text that is not a decimal number, or has an exponent beyond 10^9, is refused.
    #[test]
    fn rejects_non_numbers() {
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "inf", "NaN", "0x10", " 1", "1 ", "1..2", "--1",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse("1e99999999999999999999999"), None);
        assert_eq!(parse("1e1000000001"), None);
        assert_eq!(
            parse("1e1000000000"),
            Some(Number::Decimal("1e1000000000".into()))
        );
    }

    /// JSON text is exact and valid JSON syntax for every variant.
    #[test]
    fn json_text_is_exact() {
        assert_eq!(to_json_text(&Number::Int(-7)).as_deref(), Some("-7"));
        assert_eq!(to_json_text(&Number::Float(0.5)).as_deref(), Some("0.5"));
        assert_eq!(
            to_json_text(&Number::Float(1e20)).as_deref(),
            Some("100000000000000000000")
        );
        assert_eq!(to_json_text(&Number::Float(f64::NAN)), None);
        assert_eq!(
            to_json_text(&Number::Decimal("+.10".into())).as_deref(),
            Some("0.1")
        );
        assert_eq!(
            to_json_text(&Number::Decimal("1e400".into())).as_deref(),
            Some("1e400")
        );
        assert_eq!(
            to_json_text(&Number::Decimal("-12.5e-30".into())).as_deref(),
            Some("-1.25e-29")
        );
        assert_eq!(to_json_text(&Number::Decimal("x".into())), None);
        let tenth = to_json_text(&Number::Float(0.1)).unwrap_or_default();
        assert_eq!(parse(&tenth), Some(Number::Float(0.1)));
    }
}
