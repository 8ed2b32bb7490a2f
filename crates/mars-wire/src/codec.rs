//! A bounds-checked cursor for decoding and a small writer for encoding.
//!
//! The reader never panics: every read checks the remaining length first and reports the
//! field name and its offset when the input is short (the "no panic after check" discipline
//! of smoltcp's `wire` module).

use crate::error::{DecodeError, DecodeErrorKind};

/// A cursor over a byte slice that knows its absolute offset.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the whole of `buf`, starting at offset 0.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Current offset from the start of the buffer.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Octets left to read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unread rest of the buffer.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// The whole underlying buffer.
    pub fn buffer(&self) -> &'a [u8] {
        self.buf
    }

    /// Take `n` octets.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::new(
                DecodeErrorKind::Truncated {
                    needed: n,
                    available: self.remaining(),
                },
                field,
                self.pos,
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Take exactly `N` octets as an array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One octet.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// A big-endian 16-bit value.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// A big-endian 24-bit value.
    pub fn u24(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A big-endian 32-bit value.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Fail with `TrailingBytes` unless the input is used up.
    pub fn finish(&self, field: &'static str) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(DecodeError::new(
                DecodeErrorKind::TrailingBytes { extra },
                field,
                self.pos,
            )),
        }
    }

    /// An error of `kind` for `field` at the current offset.
    pub fn error(&self, kind: DecodeErrorKind, field: &'static str) -> DecodeError {
        DecodeError::new(kind, field, self.pos)
    }

    /// Check that `count` items of at least `min_size` octets each can still fit, so that a
    /// hostile count never makes the decoder allocate more than the input justifies.
    pub fn check_count(
        &self,
        count: usize,
        min_size: usize,
        field: &'static str,
        field_offset: usize,
    ) -> Result<(), DecodeError> {
        if count.saturating_mul(min_size) > self.remaining() {
            return Err(DecodeError::new(
                DecodeErrorKind::BadLength { value: count },
                field,
                field_offset,
            ));
        }
        Ok(())
    }
}

/// Append-only big-endian writer over a `Vec<u8>`.
pub trait Put {
    /// Append one octet.
    fn put_u8(&mut self, v: u8);
    /// Append a big-endian 16-bit value.
    fn put_u16(&mut self, v: u16);
    /// Append the low 24 bits of `v`, big-endian.
    fn put_u24(&mut self, v: u32);
    /// Append a big-endian 32-bit value.
    fn put_u32(&mut self, v: u32);
    /// Append octets.
    fn put(&mut self, s: &[u8]);
    /// Overwrite a big-endian 16-bit value at `at` (e.g. a length or checksum filled in last).
    fn set_u16(&mut self, at: usize, v: u16);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u24(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes()[1..]);
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
    fn set_u16(&mut self, at: usize, v: u16) {
        self[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
}

/// Check that a value fits a wire field of `max`.
pub fn fits(field: &'static str, value: usize, max: usize) -> Result<(), crate::EncodeError> {
    if value > max {
        Err(crate::EncodeError::TooLarge { field, value, max })
    } else {
        Ok(())
    }
}
