//! The msgpack codec of Terraform's `DynamicValue`: values as Terraform (cty) puts them on the wire.
//!
//! Null is nil; an unknown value is extension type 0 (written `d4 00 00`), and any extension is
//! read as unknown (type 12 carries refinements, which we drop). Numbers are ints, float64s or
//! decimal strings (see [`super::number`]). Lists, sets and tuples are arrays; maps and objects
//! are maps; a `dynamic` value is `[type JSON, value]`.
//!
//! Decoding walks the bytes with the type in hand, never allocates from a declared length before
//! the bytes are there, and stops at [`MAX_DEPTH`] levels of nesting.

use std::collections::BTreeMap;

use rmp::encode as enc;
use rmp::Marker;

use super::{encode, number, CodecError, Number, Seg, Type, Value, MAX_DEPTH};

/// Decodes a `DynamicValue.msgpack` of type `ty`. Trailing bytes are an error.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let value = r.value(ty, 0).map_err(CodecError::rooted)?;
    match bytes.len() - r.pos {
        0 => Ok(value),
        n => Err(CodecError::Trailing(n)),
    }
}

/// Encodes `value` of type `ty` as Terraform expects it.
pub fn to_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    write(&mut out, value, ty, 0).map_err(CodecError::rooted)?;
    Ok(out)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// What a marker introduces, for "expected X, found Y" messages.
fn found(m: Marker) -> String {
    match m {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_) | Marker::FixNeg(_) => "integer",
        Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => "integer",
        Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::Reserved => "the reserved byte 0xc1",
        _ => "extension",
    }
    .to_string()
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Eof)?;
        let bytes = self.buf.get(self.pos..end).ok_or(CodecError::Eof)?;
        self.pos = end;
        Ok(bytes)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.be::<1>()?[0])
    }

    fn u16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }

    fn u32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|_| CodecError::Eof)
    }

    fn marker(&mut self) -> Result<Marker, CodecError> {
        Ok(Marker::from_u8(self.u8()?))
    }

    /// Skips an extension's type byte and payload; `false` when `m` is no extension.
    fn skip_ext(&mut self, m: Marker) -> Result<bool, CodecError> {
        let len = match m {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => usize::from(self.u8()?),
            Marker::Ext16 => self.u16()?,
            Marker::Ext32 => self.u32()?,
            _ => return Ok(false),
        };
        self.take(len.saturating_add(1))?;
        Ok(true)
    }

    /// An array's length; refuses lengths the remaining bytes cannot hold (one byte per element
    /// at least), so a forged length costs nothing.
    fn array_len(&mut self, m: Marker, expected: &str) -> Result<usize, CodecError> {
        let n = match m {
            Marker::FixArray(n) => usize::from(n),
            Marker::Array16 => self.u16()?,
            Marker::Array32 => self.u32()?,
            other => return Err(CodecError::mismatch(expected, found(other))),
        };
        self.fits(n, 1)
    }

    /// A map's length (two bytes per entry at least).
    fn map_len(&mut self, m: Marker, expected: &str) -> Result<usize, CodecError> {
        let n = match m {
            Marker::FixMap(n) => usize::from(n),
            Marker::Map16 => self.u16()?,
            Marker::Map32 => self.u32()?,
            other => return Err(CodecError::mismatch(expected, found(other))),
        };
        self.fits(n, 2)
    }

    fn fits(&self, n: usize, min_size: usize) -> Result<usize, CodecError> {
        if n.saturating_mul(min_size) > self.buf.len() - self.pos {
            return Err(CodecError::Eof);
        }
        Ok(n)
    }

    /// The bytes of a string (or, when `bin_ok`, a binary) after its marker.
    fn str_bytes(&mut self, m: Marker, bin_ok: bool) -> Result<&'a [u8], CodecError> {
        let len = match m {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 => usize::from(self.u8()?),
            Marker::Str16 => self.u16()?,
            Marker::Str32 => self.u32()?,
            Marker::Bin8 if bin_ok => usize::from(self.u8()?),
            Marker::Bin16 if bin_ok => self.u16()?,
            Marker::Bin32 if bin_ok => self.u32()?,
            other => return Err(CodecError::mismatch("string", found(other))),
        };
        self.take(len)
    }

    fn string(&mut self, m: Marker) -> Result<&'a str, CodecError> {
        let bytes = self.str_bytes(m, false)?;
        std::str::from_utf8(bytes).map_err(|_| CodecError::invalid("string is not valid UTF-8"))
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        let m = self.marker()?;
        if m == Marker::Null {
            return Ok(Value::Null);
        }
        if self.skip_ext(m)? {
            return Ok(Value::Unknown);
        }
        if depth >= MAX_DEPTH {
            return Err(CodecError::invalid(format!(
                "value nested deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(match ty {
            Type::Bool => match m {
                Marker::True => Value::Bool(true),
                Marker::False => Value::Bool(false),
                other => return Err(CodecError::mismatch("bool", found(other))),
            },
            Type::Number => Value::Number(self.number(m)?),
            Type::String => Value::String(self.string(m)?.to_owned()),
            Type::List(el) => Value::List(self.elements(m, el, depth)?),
            Type::Set(el) => Value::Set(self.elements(m, el, depth)?),
            Type::Tuple(tys) => {
                let n = self.array_len(m, "tuple (array)")?;
                if n != tys.len() {
                    return Err(CodecError::invalid(format!(
                        "a tuple of {} elements, found {n}",
                        tys.len()
                    )));
                }
                let mut items = Vec::new();
                for (i, ety) in tys.iter().enumerate() {
                    items.push(
                        self.value(ety, depth + 1)
                            .map_err(|e| e.at(Seg::Index(i)))?,
                    );
                }
                Value::Tuple(items)
            }
            Type::Map(el) => Value::Map(self.map(m, el, depth)?),
            Type::Object(attrs) => Value::Object(self.object(m, attrs, depth)?),
            Type::Dynamic => self.dynamic(m, depth)?,
        })
    }

    fn number(&mut self, m: Marker) -> Result<Number, CodecError> {
        let float = |f: f64| {
            if f.is_nan() {
                Err(CodecError::invalid("NaN is not a number Terraform allows"))
            } else {
                Ok(Number::Float(f))
            }
        };
        Ok(match m {
            Marker::FixPos(n) => Number::Int(i64::from(n)),
            Marker::FixNeg(n) => Number::Int(i64::from(n)),
            Marker::U8 => Number::Int(i64::from(self.u8()?)),
            Marker::U16 => Number::Int(i64::from(u16::from_be_bytes(self.be()?))),
            Marker::U32 => Number::Int(i64::from(u32::from_be_bytes(self.be()?))),
            Marker::U64 => number::from_u64(u64::from_be_bytes(self.be()?)),
            Marker::I8 => Number::Int(i64::from(i8::from_be_bytes(self.be()?))),
            Marker::I16 => Number::Int(i64::from(i16::from_be_bytes(self.be()?))),
            Marker::I32 => Number::Int(i64::from(i32::from_be_bytes(self.be()?))),
            Marker::I64 => Number::Int(i64::from_be_bytes(self.be()?)),
            Marker::F32 => float(f64::from(f32::from_be_bytes(self.be()?)))?,
            Marker::F64 => float(f64::from_be_bytes(self.be()?))?,
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let text = self.string(m)?;
                number::parse(text).ok_or_else(|| {
                    let shown: String = text.chars().take(40).collect();
                    CodecError::invalid(format!("{shown:?} is not a decimal number"))
                })?
            }
            other => return Err(CodecError::mismatch("number", found(other))),
        })
    }

    fn elements(&mut self, m: Marker, el: &Type, depth: usize) -> Result<Vec<Value>, CodecError> {
        let n = self.array_len(m, "array")?;
        let mut items = Vec::new();
        for i in 0..n {
            items.push(self.value(el, depth + 1).map_err(|e| e.at(Seg::Index(i)))?);
        }
        Ok(items)
    }

    fn map(
        &mut self,
        m: Marker,
        el: &Type,
        depth: usize,
    ) -> Result<BTreeMap<String, Value>, CodecError> {
        let n = self.map_len(m, "map")?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let km = self.marker()?;
            let key = self.string(km)?;
            let v = self.value(el, depth + 1).map_err(|e| e.at(Seg::Key(key)))?;
            if out.insert(key.to_owned(), v).is_some() {
                return Err(CodecError::invalid(format!("key {key:?} twice")));
            }
        }
        Ok(out)
    }

    fn object(
        &mut self,
        m: Marker,
        attrs: &BTreeMap<String, Type>,
        depth: usize,
    ) -> Result<BTreeMap<String, Value>, CodecError> {
        let n = self.map_len(m, "object (map)")?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let km = self.marker()?;
            let name = self.string(km)?;
            let Some(aty) = attrs.get(name) else {
                return Err(CodecError::invalid(format!(
                    "unsupported attribute {name:?}"
                )));
            };
            let v = self
                .value(aty, depth + 1)
                .map_err(|e| e.at(Seg::Attr(name)))?;
            if out.insert(name.to_owned(), v).is_some() {
                return Err(CodecError::invalid(format!("attribute {name:?} twice")));
            }
        }
        if let Some(missing) = attrs.keys().find(|k| !out.contains_key(*k)) {
            return Err(CodecError::invalid(format!(
                "attribute {missing:?} is missing"
            )));
        }
        Ok(out)
    }

    fn dynamic(&mut self, m: Marker, depth: usize) -> Result<Value, CodecError> {
        if self.array_len(m, "dynamic value ([type, value])")? != 2 {
            return Err(CodecError::invalid(
                "a dynamic value is a two-element array [type, value]",
            ));
        }
        let tm = self.marker()?;
        let ty_json = self.str_bytes(tm, true).map_err(|e| e.at(Seg::Index(0)))?;
        let ty = Type::from_json(ty_json).map_err(|e| at_type(e).at(Seg::Index(0)))?;
        let v = self
            .value(&ty, depth + 1)
            .map_err(|e| e.at(Seg::Index(1)))?;
        Ok(Value::Dynamic(ty, Box::new(v)))
    }
}

/// A type-JSON error inside a dynamic value: its "(root)" path is the type element itself.
fn at_type(e: CodecError) -> CodecError {
    match e {
        CodecError::Invalid { path, message } if path == "(root)" => CodecError::Invalid {
            path: String::new(),
            message: format!("bad type: {message}"),
        },
        CodecError::TypeMismatch {
            path,
            expected,
            found,
        } if path == "(root)" => CodecError::mismatch(expected, found),
        CodecError::Eof | CodecError::Trailing(_) => {
            CodecError::invalid("the type is not a complete JSON document")
        }
        other => other,
    }
}

fn io_error<E: std::fmt::Debug>(e: E) -> CodecError {
    CodecError::invalid(format!("cannot write msgpack: {e:?}"))
}

fn len_u32(n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| CodecError::invalid("too long for msgpack (over 4 GiB)"))
}

fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), CodecError> {
    enc::write_str_len(out, len_u32(s.len())?).map_err(io_error)?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: &Number) -> Result<(), CodecError> {
    match n {
        Number::Int(i) => enc::write_sint(out, *i).map(drop).map_err(io_error),
        Number::Float(f) if f.is_nan() => Err(CodecError::invalid("NaN cannot be sent")),
        Number::Float(f) => enc::write_f64(out, *f).map_err(io_error),
        Number::Decimal(text) if number::is_decimal(text) => write_str(out, text),
        Number::Decimal(text) => {
            let shown: String = text.chars().take(40).collect();
            Err(CodecError::invalid(format!(
                "{shown:?} is not a decimal number"
            )))
        }
    }
}

fn write(out: &mut Vec<u8>, value: &Value, ty: &Type, depth: usize) -> Result<(), CodecError> {
    encode::check_depth(depth)?;
    match (value, ty) {
        (Value::Null, _) => out.push(0xc0),
        (Value::Unknown, _) => out.extend_from_slice(&[0xd4, 0, 0]),
        (Value::Bool(b), Type::Bool) => enc::write_bool(out, *b).map_err(io_error)?,
        (Value::Number(n), Type::Number) => write_number(out, n)?,
        (Value::String(s), Type::String) => write_str(out, s)?,
        (Value::List(items), Type::List(el)) | (Value::Set(items), Type::Set(el)) => {
            enc::write_array_len(out, len_u32(items.len())?).map_err(io_error)?;
            for (i, item) in items.iter().enumerate() {
                write(out, item, el, depth + 1).map_err(|e| e.at(Seg::Index(i)))?;
            }
        }
        (Value::Tuple(items), Type::Tuple(tys)) => {
            let items_and_types = encode::tuple_items(items, tys)?;
            enc::write_array_len(out, len_u32(items.len())?).map_err(io_error)?;
            for (i, (item, ety)) in items_and_types.enumerate() {
                write(out, item, ety, depth + 1).map_err(|e| e.at(Seg::Index(i)))?;
            }
        }
        (Value::Map(entries), Type::Map(el)) => {
            enc::write_map_len(out, len_u32(entries.len())?).map_err(io_error)?;
            for (key, item) in entries {
                write_str(out, key)?;
                write(out, item, el, depth + 1).map_err(|e| e.at(Seg::Key(key)))?;
            }
        }
        (Value::Object(fields), Type::Object(attrs)) => {
            let walk = encode::object_items(fields, attrs)?;
            enc::write_map_len(out, len_u32(attrs.len())?).map_err(io_error)?;
            for (name, attr) in walk {
                let (item, aty) = attr?;
                write_str(out, name)?;
                write(out, item, aty, depth + 1).map_err(|e| e.at(Seg::Attr(name)))?;
            }
        }
        // Like cty: a typed null or unknown keeps its type (`[type, nil]`); only an untyped one
        // (`Value::Null` / `Value::Unknown` in a dynamic slot) is a bare nil or extension.
        (Value::Dynamic(inner_ty, inner), Type::Dynamic) => {
            enc::write_array_len(out, 2).map_err(io_error)?;
            let ty_json = inner_ty.to_json();
            enc::write_bin(out, ty_json.as_bytes()).map_err(io_error)?;
            write(out, inner, inner_ty, depth + 1).map_err(|e| e.at(Seg::Index(1)))?;
        }
        (Value::Dynamic(..), _) => {
            return Err(CodecError::mismatch(ty.kind(), "dynamic value"));
        }
        (other, _) => return Err(encode::mismatch(other, ty)),
    }
    Ok(())
}

#[cfg(test)]
#[path = "msgpack_tests.rs"]
mod tests;
