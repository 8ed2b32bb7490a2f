//! VPI/VCI labels for VC ends, so that a capture shows which VC each SDU travelled on.
//!
//! Labels are unique across the whole fabric (not just per endpoint as on a real UNI), so one
//! fabric-wide capture file is unambiguous: a label names exactly one VC end. VCIs 0–31 are
//! reserved by the ATM Forum (signalling is VCI 5, ILMI VCI 16), so labels start at VPI 0,
//! VCI 32 and run on into higher VPIs.

use core::fmt;

/// The first VCI available to user VCs.
pub const FIRST_USER_VCI: u16 = 32;
/// VCIs per VPI that the allocator hands out.
const SPAN: u32 = (u16::MAX as u32 + 1) - FIRST_USER_VCI as u32;
/// How many labels exist: every VPI of the UNI's 8-bit VPI field.
const CAPACITY: u32 = 256 * SPAN;

/// A VPI/VCI pair naming one end of a VC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct VcLabel {
    /// Virtual path identifier (8 bits at the UNI).
    pub vpi: u8,
    /// Virtual channel identifier.
    pub vci: u16,
}

impl VcLabel {
    fn from_index(i: u32) -> Self {
        VcLabel {
            vpi: (i / SPAN) as u8,
            vci: (i % SPAN) as u16 + FIRST_USER_VCI,
        }
    }

    fn index(self) -> u32 {
        u32::from(self.vpi) * SPAN + u32::from(self.vci - FIRST_USER_VCI)
    }
}

impl fmt::Display for VcLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.vpi, self.vci)
    }
}

/// Hands out labels, reusing freed ones last-in first-out (deterministically).
#[derive(Debug, Default)]
pub(crate) struct Labels {
    next: u32,
    free: Vec<u32>,
}

impl Labels {
    /// A fresh label, or `None` when all 16.7 million are in use.
    pub(crate) fn alloc(&mut self) -> Option<VcLabel> {
        if let Some(i) = self.free.pop() {
            return Some(VcLabel::from_index(i));
        }
        if self.next == CAPACITY {
            return None;
        }
        self.next += 1;
        Some(VcLabel::from_index(self.next - 1))
    }

    pub(crate) fn release(&mut self, label: VcLabel) {
        self.free.push(label.index());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_start_at_vci_32_and_roll_into_next_vpi() {
        let mut l = Labels::default();
        assert_eq!(l.alloc(), Some(VcLabel { vpi: 0, vci: 32 }));
        assert_eq!(l.alloc(), Some(VcLabel { vpi: 0, vci: 33 }));
        l.release(VcLabel { vpi: 0, vci: 32 });
        assert_eq!(l.alloc(), Some(VcLabel { vpi: 0, vci: 32 }));
        assert_eq!(VcLabel::from_index(SPAN), VcLabel { vpi: 1, vci: 32 });
        assert_eq!(VcLabel::from_index(SPAN - 1).vci, u16::MAX);
        assert_eq!(VcLabel { vpi: 3, vci: 77 }.to_string(), "3/77");
        for i in [0, 1, SPAN - 1, SPAN, CAPACITY - 1] {
            assert_eq!(VcLabel::from_index(i).index(), i);
        }
    }

    #[test]
    fn exhaustion_is_reported_not_panicked() {
        let mut l = Labels {
            next: CAPACITY - 1,
            free: Vec::new(),
        };
        assert_eq!(
            l.alloc(),
            Some(VcLabel {
                vpi: 255,
                vci: u16::MAX
            })
        );
        assert_eq!(l.alloc(), None);
    }
}
