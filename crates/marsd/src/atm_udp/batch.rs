//! Batched sending: many datagrams, to many destinations, in one `sendmmsg(2)` call.
//!
//! A multipoint SDU to N leaves is N datagrams sharing one payload buffer; each message is
//! two I/O slices (the 16-octet DATA header and the shared SDU), so the SDU is never copied.
//! On systems without `sendmmsg` this falls back to one `send_to` per datagram.

use std::io::{self, IoSlice};

use tokio::io::Interest;
use tokio::net::UdpSocket;

use super::transmit::Transmit;

/// Most messages handed to the kernel in one call (below Linux's UIO_MAXIOV of 1024).
pub const MAX_BATCH: usize = 512;

/// The outcome of sending a batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Datagrams the kernel accepted.
    pub ok: u64,
    /// Datagrams it refused (each skipped, so that one bad destination cannot stall the rest).
    pub failed: u64,
    /// System calls made.
    pub syscalls: u64,
}

/// Send every datagram in `out`, waiting for socket space when needed.
pub async fn send_all(sock: &UdpSocket, out: &[Transmit]) -> Sent {
    let mut sent = Sent::default();
    let mut rest = out;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(MAX_BATCH)];
        match sock.try_io(Interest::WRITABLE, || send_some(sock, chunk)) {
            Ok(n) => {
                sent.syscalls += 1;
                sent.ok += n as u64;
                rest = &rest[n.max(1).min(rest.len())..];
                if n == 0 {
                    sent.failed += 1; // Nothing went: skip the head to make progress.
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if sock.writable().await.is_err() {
                    sent.failed += rest.len() as u64;
                    return sent;
                }
            }
            Err(_) => {
                // The first datagram was refused (e.g. EMSGSIZE, or an ICMP error reported
                // late): drop it and go on with the others.
                sent.syscalls += 1;
                sent.failed += 1;
                rest = &rest[1..];
            }
        }
    }
    sent
}

#[cfg(target_os = "linux")]
fn send_some(sock: &UdpSocket, chunk: &[Transmit]) -> io::Result<usize> {
    use rustix::net::{sendmmsg, MMsgHdr, SendAncillaryBuffer, SendFlags, SocketAddrAny};
    let addrs: Vec<SocketAddrAny> = chunk.iter().map(|t| SocketAddrAny::from(t.to)).collect();
    let iovs: Vec<[IoSlice<'_>; 2]> = chunk
        .iter()
        .map(|t| [IoSlice::new(t.head()), IoSlice::new(&t.payload)])
        .collect();
    let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> = chunk
        .iter()
        .map(|_| SendAncillaryBuffer::default())
        .collect();
    let mut msgs: Vec<MMsgHdr<'_>> = addrs
        .iter()
        .zip(iovs.iter())
        .zip(controls.iter_mut())
        .map(|((a, iov), c)| {
            let iov: &[IoSlice<'_>] = if iov[1].is_empty() {
                &iov[..1]
            } else {
                &iov[..]
            };
            MMsgHdr::new_with_addr(a, iov, c)
        })
        .collect();
    sendmmsg(sock, &mut msgs, SendFlags::empty()).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn send_some(sock: &UdpSocket, chunk: &[Transmit]) -> io::Result<usize> {
    let t = &chunk[0];
    sock.try_send_to(&t.to_vec(), t.to).map(|_| 1)
}

/// Receive one datagram if one is queued, asking the kernel directly (`MSG_DONTWAIT`)
/// rather than tokio's cached readiness: under load the I/O driver may not have noticed yet
/// that the socket is readable, and a peer must not be declared dead while its datagrams sit
/// unread. Tokio copes with the readiness this leaves stale.
#[cfg(target_os = "linux")]
pub fn recv_now(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, std::net::SocketAddr)> {
    use rustix::net::{recvfrom, RecvFlags};
    let (_, len, from) = recvfrom(sock, &mut *buf, RecvFlags::DONTWAIT)?;
    let from = from
        .and_then(|a| std::net::SocketAddr::try_from(a).ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no source address"))?;
    Ok((len.min(buf.len()), from))
}

#[cfg(not(target_os = "linux"))]
pub fn recv_now(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, std::net::SocketAddr)> {
    sock.try_recv_from(buf)
}
