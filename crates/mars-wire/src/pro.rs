//! The protocol identification `mar$pro` (RFC 2022 §4.3.2): a 16-bit type and a 40-bit SNAP
//! extension used only when the type is 0x80 (the "long form").

use core::fmt;

/// `mar$pro.type` for IPv4 (the Ethertype).
pub const PRO_IPV4: u16 = 0x0800;
/// `mar$pro.type` for IPv6 (the Ethertype).
pub const PRO_IPV6: u16 = 0x86DD;
/// `mar$pro.type` NLPID announcing a SNAP-encoded ("long form") protocol.
pub const PRO_SNAP: u16 = 0x0080;

/// `mar$pro`: protocol type and SNAP extension, as carried.
///
/// When `type != 0x80` the SNAP octets "MUST be zero on transmit and ignored on receive"; we
/// keep whatever was received so that re-encoding is exact, and [`Protocol::key`] ignores them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Protocol {
    /// `mar$pro.type`.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub ty: u16,
    /// `mar$pro.snap`.
    pub snap: [u8; 5],
}

impl Protocol {
    /// IPv4, short form.
    pub const IPV4: Protocol = Protocol::short(PRO_IPV4);
    /// IPv6, short form.
    pub const IPV6: Protocol = Protocol::short(PRO_IPV6);

    /// A short-form protocol identification.
    pub const fn short(ty: u16) -> Self {
        Protocol { ty, snap: [0; 5] }
    }

    /// Whether this is the long (SNAP) form.
    pub const fn is_long(&self) -> bool {
        self.ty == PRO_SNAP
    }

    /// The protocol identity as the receiver must see it: the SNAP part counts only in the long
    /// form (§4.3.2).
    pub const fn key(&self) -> (u16, [u8; 5]) {
        if self.is_long() {
            (self.ty, self.snap)
        } else {
            (self.ty, [0; 5])
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            PRO_IPV4 => f.write_str("IPv4"),
            PRO_IPV6 => f.write_str("IPv6"),
            PRO_SNAP => write!(
                f,
                "SNAP {:02x}{:02x}{:02x}-{:02x}{:02x}",
                self.snap[0], self.snap[1], self.snap[2], self.snap[3], self.snap[4]
            ),
            t => write!(f, "{t:#06x}"),
        }
    }
}

impl fmt::Debug for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol({self})")
    }
}
