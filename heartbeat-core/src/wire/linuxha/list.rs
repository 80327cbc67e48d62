//! Linux-HA's packed string list: each element as `<len>:<text>,`, the same
//! in both encodings. Elements are non-empty and NUL-free.

use super::error::HaDecodeError;
use super::netstring::take_netstring;

/// Append the packed form of `items` to `out`.
pub(crate) fn pack_into(items: &[Vec<u8>], out: &mut Vec<u8>) {
    for item in items {
        out.extend_from_slice(item.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(item);
        out.push(b',');
    }
}

/// Whether every element can be packed (non-empty, NUL-free).
pub(crate) fn packable(items: &[Vec<u8>]) -> bool {
    items.iter().all(|i| !i.is_empty() && !i.contains(&0))
}

/// The elements of a packed list.
pub(crate) fn unpack(mut packed: &[u8]) -> Result<Vec<Vec<u8>>, HaDecodeError> {
    let mut items = Vec::new();
    while !packed.is_empty() {
        let (item, rest) = take_netstring(packed).map_err(|_| HaDecodeError::BadList)?;
        if item.is_empty() || item.contains(&0) {
            return Err(HaDecodeError::BadList);
        }
        items.push(item.to_vec());
        packed = rest;
    }
    Ok(items)
}
