//! A small strict JSON reader that keeps each number's text, and the JSON string writer.
//!
//! serde_json (default features) turns numbers into `u64`/`i64`/`f64`, losing `0.1`'s exact value
//! and refusing `1e400`; Terraform numbers need the text. This reader is RFC 8259 JSON with a
//! nesting bound, no pre-allocation from the input, and errors that give the byte offset.

use super::{CodecError, MAX_DEPTH};

/// A parsed JSON document. Objects keep their members in input order, duplicates included, so
/// that the typed decoders can refuse duplicates.
#[derive(Debug, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written (valid JSON number syntax).
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// A short name of the JSON kind for error messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "JSON boolean",
            Json::Number(_) => "JSON number",
            Json::String(_) => "JSON string",
            Json::Array(_) => "JSON array",
            Json::Object(_) => "JSON object",
        }
    }
}

/// Parses one JSON document; surrounding whitespace is allowed, anything else after it is not.
pub(super) fn parse(bytes: &[u8]) -> Result<Json, CodecError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CodecError::invalid(format!(
            "JSON is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    match bytes.len() - p.pos {
        0 => Ok(value),
        n => Err(CodecError::Trailing(n)),
    }
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> CodecError {
        CodecError::invalid(format!("invalid JSON at byte {}: {what}", self.pos))
    }

    fn peek(&self) -> Result<u8, CodecError> {
        self.b.get(self.pos).copied().ok_or(CodecError::Eof)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, CodecError> {
        let end = self.pos + word.len();
        match self.b.get(self.pos..end) {
            Some(s) if s == word.as_bytes() => {
                self.pos = end;
                Ok(value)
            }
            None if self.b[self.pos..] == word.as_bytes()[..self.b.len() - self.pos] => {
                Err(CodecError::Eof)
            }
            _ => Err(self.error("unexpected character")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, CodecError> {
        match self.peek()? {
            b'n' => self.literal("null", Json::Null),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'"' => Ok(Json::String(self.string()?)),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' | b'{' if depth >= MAX_DEPTH => Err(CodecError::invalid(format!(
                "JSON nested deeper than {MAX_DEPTH} levels"
            ))),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            _ => Err(self.error("unexpected character")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, CodecError> {
        let start = self.pos;
        if self.b[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.peek()?;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            self.peek()?;
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        Ok(Json::Number(self.text[start..self.pos].to_string()))
    }

    fn hex4(&mut self) -> Result<u32, CodecError> {
        let digits = self.b.get(self.pos..self.pos + 4).ok_or(CodecError::Eof)?;
        let mut v = 0;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("bad \\u escape"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let run = self.pos;
            while let Some(&c) = self.b.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Stops only at ASCII bytes, so the run is on char boundaries.
            out.push_str(&self.text[run..self.pos]);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = self.peek()?;
                    self.pos += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.error("unknown escape")),
                    }
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    /// The character of a `\uXXXX` escape (the `\u` already read), joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, CodecError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(self.error("unpaired surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("unpaired surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("unpaired surrogate")),
            c => c,
        };
        char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"))
    }

    fn array(&mut self, depth: usize) -> Result<Json, CodecError> {
        let mut items = Vec::new();
        self.items(b']', |p| {
            items.push(p.value(depth + 1)?);
            Ok(())
        })?;
        Ok(Json::Array(items))
    }

    fn object(&mut self, depth: usize) -> Result<Json, CodecError> {
        let mut members = Vec::new();
        self.items(b'}', |p| {
            if p.peek()? != b'"' {
                return Err(p.error("expected a string key"));
            }
            let key = p.string()?;
            p.skip_ws();
            if p.peek()? != b':' {
                return Err(p.error("expected ':'"));
            }
            p.pos += 1;
            p.skip_ws();
            members.push((key, p.value(depth + 1)?));
            Ok(())
        })?;
        Ok(Json::Object(members))
    }

    /// The elements of an array or the members of an object, from its opening bracket: each
    /// read by `item` (from its first byte), separated by commas, up to `close`.
    fn items(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        self.pos += 1;
        self.skip_ws();
        if self.peek()? == close {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            item(self)?;
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                c if c == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => {
                    let expected = format!("expected ',' or '{}'", char::from(close));
                    return Err(self.error(&expected));
                }
            }
        }
    }
}

/// Appends a JSON array: `items`, each written by `item`.
pub(super) fn write_array<T, E>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    mut item: impl FnMut(&mut String, T) -> Result<(), E>,
) -> Result<(), E> {
    out.push('[');
    for (i, it) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, it)?;
    }
    out.push(']');
    Ok(())
}

/// Appends a JSON object: each of `members`' names, then its value written by `value`.
pub(super) fn write_object<'a, T, E>(
    out: &mut String,
    members: impl IntoIterator<Item = (&'a str, T)>,
    mut value: impl FnMut(&mut String, &'a str, T) -> Result<(), E>,
) -> Result<(), E> {
    out.push('{');
    for (i, (name, it)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        value(out, name, it)?;
    }
    out.push('}');
    Ok(())
}

/// Appends `s` as a JSON string literal.
pub(super) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document with every kind of JSON value parses, numbers keeping their text.
    #[test]
    fn parses_every_kind() {
        let j =
            parse(br#" {"a": [null, true, false, -1.5e+3, "x\u00e9\ud83d\ude00\n"], "b": {}} "#);
        let expected = Json::Object(vec![
            (
                "a".into(),
                Json::Array(vec![
                    Json::Null,
                    Json::Bool(true),
                    Json::Bool(false),
                    Json::Number("-1.5e+3".into()),
                    Json::String("x\u{e9}\u{1F600}\n".into()),
                ]),
            ),
            ("b".into(), Json::Object(vec![])),
        ]);
        assert_eq!(j, Ok(expected));
    }

    /// Malformed documents give errors: truncated ones `Eof`, others `Invalid` or `Trailing`.
    #[test]
    fn rejects_malformed() {
        for bad in [
            &b"["[..],
            b"{\"a\"",
            b"\"abc",
            b"tru",
            b"-",
            b"1.",
            b"[1,",
            b"{\"a\":1,",
        ] {
            assert_eq!(
                parse(bad),
                Err(CodecError::Eof),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        for bad in [
            &b"[1,]"[..],
            b"{1:2}",
            b"+1",
            b".5",
            b"\"\\x\"",
            b"\"\\ud800\"",
            b"\"\\udc00x\"",
            b"\"a\x01\"",
            b"nul!",
            b"\xff",
            b"[1 2]",
            b"NaN",
        ] {
            assert!(
                matches!(parse(bad), Err(CodecError::Invalid { .. })),
                "{:?} -> {:?}",
                String::from_utf8_lossy(bad),
                parse(bad)
            );
        }
        assert_eq!(parse(b"1 2"), Err(CodecError::Trailing(1)));
        assert_eq!(parse(b"01"), Err(CodecError::Trailing(1)));
    }

    /// Nesting beyond the bound is refused rather than recursing.
    #[test]
    fn bounds_nesting() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(CodecError::Invalid { .. })
        ));
    }

    /// Written strings escape what JSON requires and parse back to the same text.
    #[test]
    fn string_writer_round_trips() {
        let s = "q\"b\\n\n\u{1}\u{1F600}é";
        let mut out = String::new();
        write_string(&mut out, s);
        assert_eq!(out, "\"q\\\"b\\\\n\\n\\u0001\u{1F600}é\"");
        assert_eq!(parse(out.as_bytes()), Ok(Json::String(s.into())));
    }
}
