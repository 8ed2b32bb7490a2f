//! A datagram ready for the socket: a short header (or a whole signalling message) kept
//! inline, and an optional shared payload, so that an N-leaf fan-out of one SDU shares the
//! SDU's buffer and is sent with scatter/gather I/O.

use std::net::SocketAddr;

use bytes::Bytes;
use mars_wire::emu::Datagram;

/// Room for the longest signalling message (SETUP with two 40-octet addresses: 92 octets).
pub const HEAD_CAPACITY: usize = 96;

/// One datagram to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    head: [u8; HEAD_CAPACITY],
    head_len: u8,
    /// Octets that follow the head (the SDU of a DATA datagram; empty otherwise).
    pub payload: Bytes,
}

impl Transmit {
    /// A signalling or keepalive datagram.
    pub fn message(to: SocketAddr, d: &Datagram<'_>) -> Self {
        let mut v = Vec::with_capacity(HEAD_CAPACITY);
        d.encode(&mut v);
        debug_assert!(v.len() <= HEAD_CAPACITY);
        let n = v.len().min(HEAD_CAPACITY);
        let mut head = [0u8; HEAD_CAPACITY];
        head[..n].copy_from_slice(&v[..n]);
        Transmit {
            to,
            head,
            head_len: n as u8,
            payload: Bytes::new(),
        }
    }

    /// A datagram made of `head` (at most [`HEAD_CAPACITY`] octets) and `payload`.
    pub fn split(to: SocketAddr, head_octets: &[u8], payload: Bytes) -> Self {
        let n = head_octets.len().min(HEAD_CAPACITY);
        let mut head = [0u8; HEAD_CAPACITY];
        head[..n].copy_from_slice(&head_octets[..n]);
        Transmit {
            to,
            head,
            head_len: n as u8,
            payload,
        }
    }

    /// The inline part.
    pub fn head(&self) -> &[u8] {
        &self.head[..usize::from(self.head_len)]
    }

    /// Total length on the wire.
    pub fn len(&self) -> usize {
        usize::from(self.head_len) + self.payload.len()
    }

    /// Whether the datagram is empty (never, for datagrams an endpoint makes).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole datagram in one buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(self.head());
        v.extend_from_slice(&self.payload);
        v
    }
}

impl core::fmt::Debug for Transmit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let v = self.to_vec();
        match Datagram::decode(&v) {
            Ok(d) => write!(f, "Transmit(to {}: {:?})", self.to, d),
            Err(e) => write!(f, "Transmit(to {}: undecodable {e})", self.to),
        }
    }
}
