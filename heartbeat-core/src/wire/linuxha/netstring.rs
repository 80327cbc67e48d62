//! The netstring encoding (`###\n` ... `%%%\n`), one netstring per field:
//! `<len>:(<T>)<name>=<value>,`. Binary values are raw; a nested message is a
//! complete `###` block inside the value; lists are packed as `<len>:<item>,` items.
//! The authentication trailer that follows `%%%\n` at the top level is split
//! off here and interpreted by [`super::auth`].

use super::check::{netstring_string_ok, valid_name};
use super::error::{HaDecodeError, HaEncodeError};
use super::msg::{Field, FieldType, HaMsg, Value};
use super::{list, MAX_DEPTH};

/// First line of a netstring message.
pub const START: &[u8] = b"###\n";
/// Last line of a netstring message.
pub const END: &[u8] = b"%%%\n";

/// Most digits a length may have: lengths beyond 999 999 never fit a datagram.
const MAX_LEN_DIGITS: usize = 6;

/// Split one netstring `<len>:<payload>,` off the front of `input`.
///
/// The length must be canonical decimal (no sign, no leading zero) and fit in
/// `input`; nothing is allocated.
pub(crate) fn take_netstring(input: &[u8]) -> Result<(&[u8], &[u8]), HaDecodeError> {
    let digits = input.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(if input.is_empty() {
            HaDecodeError::Truncated
        } else {
            HaDecodeError::BadLength
        });
    }
    if digits > MAX_LEN_DIGITS || (digits > 1 && input[0] == b'0') {
        return Err(HaDecodeError::BadLength);
    }
    let len = input[..digits]
        .iter()
        .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
    let rest = &input[digits..];
    match rest.first() {
        None => return Err(HaDecodeError::Truncated),
        Some(b':') => {}
        Some(_) => return Err(HaDecodeError::BadLength),
    }
    let rest = &rest[1..];
    if len > rest.len() {
        return Err(HaDecodeError::BadLength);
    }
    let (payload, rest) = rest.split_at(len);
    match rest.first() {
        None => Err(HaDecodeError::Truncated),
        Some(b',') => Ok((payload, &rest[1..])),
        Some(_) => Err(HaDecodeError::MissingComma),
    }
}

/// Parse the message at the front of `input` (which starts with [`START`]) at
/// nesting `depth`; returns it and the bytes after its [`END`].
pub(crate) fn parse_message(input: &[u8], depth: usize) -> Result<(HaMsg, &[u8]), HaDecodeError> {
    if depth > MAX_DEPTH {
        return Err(HaDecodeError::TooDeep);
    }
    let mut rest = input.strip_prefix(START).ok_or(HaDecodeError::BadStart)?;
    let mut msg = HaMsg::new();
    loop {
        if let Some(after) = rest.strip_prefix(END) {
            return Ok((msg, after));
        }
        let (payload, after) = take_netstring(rest)?;
        msg.fields.push(parse_field(payload, depth)?);
        rest = after;
    }
}

/// Parse one field payload `(<T>)<name>=<value>`.
fn parse_field(payload: &[u8], depth: usize) -> Result<Field, HaDecodeError> {
    let (ty, rest) = match payload {
        [b'(', digit, b')', rest @ ..] => (
            FieldType::from_digit(*digit).ok_or(HaDecodeError::UnknownType(*digit))?,
            rest,
        ),
        _ => return Err(HaDecodeError::MissingType),
    };
    let eq = rest
        .iter()
        .position(|&b| b == b'=')
        .ok_or(HaDecodeError::MissingEquals)?;
    let (name, value) = (&rest[..eq], &rest[eq + 1..]);
    if !valid_name(name) {
        return Err(HaDecodeError::BadName);
    }
    let value = match ty {
        FieldType::String if !netstring_string_ok(value) => return Err(HaDecodeError::BadString),
        FieldType::String => Value::Str(value.to_vec()),
        FieldType::Binary => Value::Binary(value.to_vec()),
        FieldType::Compress => Value::Compress(value.to_vec()),
        FieldType::List => Value::List(list::unpack(value)?),
        FieldType::Struct => Value::Struct(parse_nested(value, depth)?),
        FieldType::Uncompress => Value::Uncompress(parse_nested(value, depth)?),
    };
    // `valid_name` checked UTF-8.
    let name = String::from_utf8_lossy(name).into_owned();
    Ok(Field { name, value })
}

/// A nested message filling `value` exactly.
fn parse_nested(value: &[u8], depth: usize) -> Result<HaMsg, HaDecodeError> {
    let (child, after) = parse_message(value, depth + 1)?;
    if after.is_empty() {
        Ok(child)
    } else {
        Err(HaDecodeError::TrailingBytes)
    }
}

/// Append `msg` at nesting `depth` in the netstring encoding to `out`.
pub(crate) fn write_message(
    msg: &HaMsg,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), HaEncodeError> {
    if depth > MAX_DEPTH {
        return Err(HaEncodeError::TooDeep);
    }
    out.extend_from_slice(START);
    let mut payload = Vec::new();
    for field in &msg.fields {
        payload.clear();
        write_field(field, depth, &mut payload)?;
        out.extend_from_slice(payload.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(&payload);
        out.push(b',');
    }
    out.extend_from_slice(END);
    Ok(())
}

/// Append the payload `(<T>)<name>=<value>` of `field` to `out`.
fn write_field(field: &Field, depth: usize, out: &mut Vec<u8>) -> Result<(), HaEncodeError> {
    if !valid_name(field.name.as_bytes()) {
        return Err(HaEncodeError::BadName(field.name.clone()));
    }
    let bad_value = || HaEncodeError::BadValue(field.name.clone());
    out.extend_from_slice(&[b'(', field.value.field_type().digit(), b')']);
    out.extend_from_slice(field.name.as_bytes());
    out.push(b'=');
    match &field.value {
        Value::Str(s) if !netstring_string_ok(s) => return Err(bad_value()),
        Value::Str(s) | Value::Binary(s) | Value::Compress(s) => out.extend_from_slice(s),
        Value::List(items) if !list::packable(items) => return Err(bad_value()),
        Value::List(items) => list::pack_into(items, out),
        Value::Struct(child) | Value::Uncompress(child) => write_message(child, depth + 1, out)?,
    }
    Ok(())
}
