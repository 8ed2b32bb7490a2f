//! The data path (§5.5): Type #1 encapsulation on transmit ("MARS clients ... MUST transmit
//! data using Type #1 encapsulation", "MUST NOT transmit using Type #2"), reception of Type #1
//! and Type #2, and the reflected-packet filter ("When an endpoint interface receives an
//! AAL_SDU with the LLC/SNAP codepoint indicating Type #1 encapsulation it compares the CMI
//! field with its own Cluster Member ID ... The packet is discarded silently if they
//! match").

use std::net::Ipv4Addr;

use bytes::Bytes;
use mars_wire::data::{DataPacket, Type1};
use mars_wire::pro::{PRO_IPV4, PRO_IPV6};
use mars_wire::{DecodeError, ProtoAddr, Protocol};

/// The AAL5 SDU carrying `packet` from the member with CMI `cmi`: LLC/SNAP PID 0x0001 and
/// `[pkt$cmi][pkt$pro][packet]` (§5.5.1, §5.5.3).
pub fn encapsulate(cmi: u16, pro: Protocol, packet: &[u8]) -> Bytes {
    // Encoding a Type #1 packet fails only for inconsistent padding, which `new` never makes.
    DataPacket::Type1(Type1::new(cmi, pro, packet))
        .encode_sdu()
        .map(Bytes::from)
        .unwrap_or_default()
}

/// Octets of encapsulation before a packet of protocol `pro` (LLC/SNAP included).
pub fn overhead(pro: Protocol) -> usize {
    mars_wire::llc::LLC_SNAP_LEN + if pro.is_long() { 12 } else { 4 }
}

/// A received data SDU, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `pkt$cmi` (Type #1 only).
    pub cmi: Option<u16>,
    /// The protocol of the packet.
    pub pro: Protocol,
    /// The layer 3 packet, sharing the SDU's buffer.
    pub packet: Bytes,
}

/// Decode a data SDU (Type #1 or Type #2) without copying its payload.
pub fn decapsulate(sdu: &Bytes) -> Result<Received, DecodeError> {
    let p = DataPacket::decode_sdu(sdu)?;
    let len = p.payload().len();
    let packet = sdu.slice(sdu.len() - len..);
    Ok(match p {
        DataPacket::Type1(t) => Received {
            cmi: Some(t.cmi),
            pro: t.pro,
            packet,
        },
        DataPacket::Type2(t) => Received {
            cmi: None,
            pro: t.pro,
            packet,
        },
    })
}

/// The destination group of a layer 3 packet, for the protocols whose header this
/// implementation reads (IPv4, IPv6); `None` otherwise or if the header is short.
///
/// RFC 2149 §4.3: "Each incoming data AAL_SDU MUST be examined for determining its recipient
/// group"; a client uses it to drop traffic for groups it has not joined (§5.1.3).
pub fn layer3_destination(pro: Protocol, packet: &[u8]) -> Option<ProtoAddr> {
    match pro.key().0 {
        PRO_IPV4 if packet.len() >= 20 && packet[0] >> 4 == 4 => {
            ProtoAddr::from_slice(&packet[16..20])
        }
        PRO_IPV6 if packet.len() >= 40 && packet[0] >> 4 == 6 => {
            ProtoAddr::from_slice(&packet[24..40])
        }
        _ => None,
    }
}

/// A minimal IPv4 packet (20-octet header, protocol 253 "experimentation", TTL 1) from
/// `src` to `dst` carrying `payload`: what tests, the simulator and the demo send.
pub fn ipv4_packet(src: Ipv4Addr, dst: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[8] = 1;
    h[9] = 253;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let sum = mars_wire::checksum::internet_checksum(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut v = h.to_vec();
    v.extend_from_slice(payload);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_destination() {
        let pkt = ipv4_packet(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(224, 1, 2, 3),
            b"hello",
        );
        let sdu = encapsulate(7, Protocol::IPV4, &pkt);
        assert_eq!(&sdu[..8], &[0xAA, 0xAA, 0x03, 0, 0, 0x5E, 0, 1]);
        assert_eq!(sdu.len(), pkt.len() + overhead(Protocol::IPV4));
        let r = decapsulate(&sdu).unwrap();
        assert_eq!(r.cmi, Some(7));
        assert_eq!(&r.packet[..], &pkt[..]);
        assert_eq!(
            layer3_destination(r.pro, &r.packet),
            Some(ProtoAddr::v4(Ipv4Addr::new(224, 1, 2, 3)))
        );
        assert_eq!(layer3_destination(Protocol::IPV4, b"short"), None);
    }
}
