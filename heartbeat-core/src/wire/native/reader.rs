//! A bounds-checked reader over untrusted bytes.
//!
//! Every read checks the remaining length first and fails with
//! [`DecodeError::Truncated`] instead of panicking; lengths read from the
//! datagram are only used to slice it, never to size an allocation.

use bytes::Buf;

use crate::wire::DecodeError;

/// Reads big-endian integers and length-prefixed fields from a byte slice.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub(super) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    /// Bytes not read yet.
    pub(super) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Fails with `Truncated` unless `n` bytes remain.
    fn need(&self, n: usize) -> Result<(), DecodeError> {
        if self.buf.remaining() < n {
            Err(DecodeError::Truncated)
        } else {
            Ok(())
        }
    }

    /// One byte.
    pub(super) fn u8(&mut self) -> Result<u8, DecodeError> {
        self.need(1)?;
        Ok(self.buf.get_u8())
    }

    /// A big-endian `u16`.
    pub(super) fn u16(&mut self) -> Result<u16, DecodeError> {
        self.need(2)?;
        Ok(self.buf.get_u16())
    }

    /// A big-endian `u32`.
    pub(super) fn u32(&mut self) -> Result<u32, DecodeError> {
        self.need(4)?;
        Ok(self.buf.get_u32())
    }

    /// A big-endian `u64`.
    pub(super) fn u64(&mut self) -> Result<u64, DecodeError> {
        self.need(8)?;
        Ok(self.buf.get_u64())
    }

    /// The next `n` bytes, borrowed.
    pub(super) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.need(n)?;
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Everything not read yet, borrowed; the reader is then empty.
    pub(super) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// A fixed-size array.
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// A boolean byte: 0 or 1, anything else is `InvalidField(field)`.
    pub(super) fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidField(field)),
        }
    }

    /// A UTF-8 string prefixed by its length in one byte, 1..=`max` bytes.
    /// An empty, too long or non-UTF-8 string is `InvalidField(field)`.
    pub(super) fn str_u8(
        &mut self,
        max: usize,
        field: &'static str,
    ) -> Result<&'a str, DecodeError> {
        let len = usize::from(self.u8()?);
        if len == 0 || len > max {
            return Err(DecodeError::InvalidField(field));
        }
        let raw = self.bytes(len)?;
        std::str::from_utf8(raw).map_err(|_| DecodeError::InvalidField(field))
    }
}
