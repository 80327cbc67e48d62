//! The classic encoding (`>>>\n` ... `<<<\n`): one `name=value` line per
//! field. Non-string fields prefix the name with `(T)`; binary values are
//! base64; a newline in a string becomes 0x13; a nested message is its own
//! classic text with newlines replaced by the symbol of its depth
//! (0x14…0x1F, then 0x0F…0x12). Over UDP a NUL byte follows `<<<\n`.
//!
//! The parser follows Linux-HA's: runs of CR/LF between lines are skipped,
//! a line splits at its first `=`, the value runs to the next CR or LF.

use super::base64;
use super::check::{
    classic_string_ok, is_classic_special, valid_name, CLASSIC_NEWLINE, NESTING_SYMBOLS,
};
use super::error::{HaDecodeError, HaEncodeError};
use super::msg::{Field, FieldType, HaMsg, Value};
use super::{list, MAX_DEPTH};

/// First line of a classic message.
pub const START: &[u8] = b">>>\n";
/// Last line of a classic message.
pub const END: &[u8] = b"<<<\n";

/// Parse the message at the front of `input` (which starts with [`START`]) at
/// nesting `depth`; returns it and the bytes after its `<<<` line.
pub(crate) fn parse_message(input: &[u8], depth: usize) -> Result<(HaMsg, &[u8]), HaDecodeError> {
    if depth > MAX_DEPTH {
        return Err(HaDecodeError::TooDeep);
    }
    let mut rest = input.strip_prefix(START).ok_or(HaDecodeError::BadStart)?;
    let mut msg = HaMsg::new();
    loop {
        let skip = rest
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        rest = &rest[skip..];
        if rest.is_empty() {
            return Err(HaDecodeError::Truncated);
        }
        let len = rest
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(rest.len());
        let (line, after) = rest.split_at(len);
        if line == b"<<<" {
            // Consume the line's own terminator (LF, CR LF or CR), if any.
            let after = after.strip_prefix(b"\r").unwrap_or(after);
            let after = after.strip_prefix(b"\n").unwrap_or(after);
            return Ok((msg, after));
        }
        if line.starts_with(b">>>") {
            return Err(HaDecodeError::NestedStart);
        }
        msg.fields.push(parse_line(line, depth)?);
        rest = after;
    }
}

/// Parse one field line `[(T)]name=value`.
fn parse_line(line: &[u8], depth: usize) -> Result<Field, HaDecodeError> {
    let eq = line
        .iter()
        .position(|&b| b == b'=')
        .ok_or(HaDecodeError::MissingEquals)?;
    let (name, value) = (&line[..eq], &line[eq + 1..]);
    let (ty, name) = match name {
        [b'(', digit, b')', rest @ ..] => {
            let ty = FieldType::from_digit(*digit).ok_or(HaDecodeError::UnknownType(*digit))?;
            if ty == FieldType::String {
                return Err(HaDecodeError::StringPrefixInClassic);
            }
            (ty, rest)
        }
        _ => (FieldType::String, name),
    };
    if !valid_name(name) {
        return Err(HaDecodeError::BadName);
    }
    let value = match ty {
        FieldType::String => Value::Str(parse_string(value)?),
        FieldType::Binary => Value::Binary(base64::decode(value).ok_or(HaDecodeError::BadBase64)?),
        FieldType::Compress => {
            Value::Compress(base64::decode(value).ok_or(HaDecodeError::BadBase64)?)
        }
        FieldType::List => {
            let items = list::unpack(value)?;
            if items.iter().flatten().any(|&b| is_classic_special(b)) {
                return Err(HaDecodeError::BadList);
            }
            Value::List(items)
        }
        FieldType::Struct => Value::Struct(parse_nested(value, depth)?),
        FieldType::Uncompress => Value::Uncompress(parse_nested(value, depth)?),
    };
    let name = String::from_utf8_lossy(name).into_owned();
    Ok(Field { name, value })
}

/// A string value with 0x13 turned back into newlines.
fn parse_string(value: &[u8]) -> Result<Vec<u8>, HaDecodeError> {
    let s: Vec<u8> = value
        .iter()
        .map(|&b| if b == CLASSIC_NEWLINE { b'\n' } else { b })
        .collect();
    if classic_string_ok(&s) {
        Ok(s)
    } else {
        Err(HaDecodeError::BadString)
    }
}

/// The nested message held by a struct value of a field at `depth`.
fn parse_nested(value: &[u8], depth: usize) -> Result<HaMsg, HaDecodeError> {
    let symbol = *NESTING_SYMBOLS.get(depth).ok_or(HaDecodeError::TooDeep)?;
    let text: Vec<u8> = value
        .iter()
        .map(|&b| if b == symbol { b'\n' } else { b })
        .collect();
    let (child, after) = parse_message(&text, depth + 1)?;
    if after.is_empty() {
        Ok(child)
    } else {
        Err(HaDecodeError::TrailingBytes)
    }
}

/// Append `msg` at nesting `depth` in the classic encoding (with its `>>>`
/// and `<<<` lines, without the NUL) to `out`.
pub(crate) fn write_message(
    msg: &HaMsg,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), HaEncodeError> {
    if depth > MAX_DEPTH {
        return Err(HaEncodeError::TooDeep);
    }
    out.extend_from_slice(START);
    write_fields(msg, depth, None, out)?;
    out.extend_from_slice(END);
    Ok(())
}

/// Append the field lines of `msg` at `depth`, leaving out the fields named
/// `skip`: the text Linux-HA signs for the classic `auth` field.
pub(crate) fn write_fields(
    msg: &HaMsg,
    depth: usize,
    skip: Option<&str>,
    out: &mut Vec<u8>,
) -> Result<(), HaEncodeError> {
    for field in &msg.fields {
        if Some(field.name.as_str()) != skip {
            write_line(field, depth, out)?;
        }
    }
    Ok(())
}

/// Append one field line.
fn write_line(field: &Field, depth: usize, out: &mut Vec<u8>) -> Result<(), HaEncodeError> {
    if !valid_name(field.name.as_bytes()) {
        return Err(HaEncodeError::BadName(field.name.clone()));
    }
    let bad_value = || HaEncodeError::BadValue(field.name.clone());
    let ty = field.value.field_type();
    if ty != FieldType::String {
        out.extend_from_slice(&[b'(', ty.digit(), b')']);
    }
    out.extend_from_slice(field.name.as_bytes());
    out.push(b'=');
    match &field.value {
        Value::Str(s) => {
            if !classic_string_ok(s) {
                return Err(bad_value());
            }
            out.extend(
                s.iter()
                    .map(|&b| if b == b'\n' { CLASSIC_NEWLINE } else { b }),
            );
        }
        Value::Binary(b) | Value::Compress(b) => base64::encode_into(b, out),
        Value::List(items) => {
            if !list::packable(items) || items.iter().flatten().any(|&b| is_classic_special(b)) {
                return Err(bad_value());
            }
            list::pack_into(items, out);
        }
        Value::Struct(child) | Value::Uncompress(child) => {
            let symbol = *NESTING_SYMBOLS.get(depth).ok_or(HaEncodeError::TooDeep)?;
            let mut text = Vec::new();
            write_message(child, depth + 1, &mut text)?;
            if text.contains(&symbol) {
                return Err(bad_value());
            }
            out.extend(text.iter().map(|&b| if b == b'\n' { symbol } else { b }));
        }
    }
    out.push(b'\n');
    Ok(())
}
