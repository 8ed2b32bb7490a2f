//! Reassembly of multi-part replies — MARS_MULTI (§5.1.1), MARS_GROUPLIST_REPLY (§5.3) and
//! MARS_REDIRECT_MAP (§5.4.3) — from their `mar$seqxy` and `mar$msn` fields.
//!
//! §5.1.1: "Field y acts as a sequence number, starting at 1 and incrementing for each
//! MARS_MULTI sent. Field x acts as an 'end of reply' marker." A part lost in the middle
//! shows as a jump of `y`; "the host MUST wait for the MARS_MULTI(1,k), discard all results,
//! and repeat the MARS_REQUEST". A change of `mar$msn` between parts is handled the same way.
//! Losing the last part is caught by the owner's timer ("A default value of 10 seconds is
//! RECOMMENDED"), which simply drops the [`Reassembly`].
//!
//! Memory is bounded: after an error nothing more is kept, and at most `max` items are held.

use mars_wire::mars::SeqXy;
use mars_wire::Csn;

use super::report::ReassemblyError;

/// The outcome of feeding one part.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step<T> {
    /// More parts are expected.
    More,
    /// The last part arrived and every part was in order: the whole reply.
    Done {
        /// Every item, in part order.
        items: Vec<T>,
        /// The `mar$msn` all parts carried.
        msn: Csn,
    },
    /// The last part arrived but the reply is unusable.
    Failed(ReassemblyError),
}

/// One reply being reassembled.
#[derive(Debug, Clone)]
pub(crate) struct Reassembly<T> {
    next_y: u16,
    msn: Option<Csn>,
    items: Vec<T>,
    error: Option<ReassemblyError>,
    max: usize,
}

impl<T> Reassembly<T> {
    /// An empty reassembly holding at most `max` items.
    pub fn new(max: usize) -> Self {
        Reassembly {
            next_y: 1,
            msn: None,
            items: Vec::new(),
            error: None,
            max,
        }
    }

    /// Whether a part has been seen.
    pub fn started(&self) -> bool {
        self.msn.is_some()
    }

    /// Feed one part.
    pub fn part(&mut self, seq: SeqXy, msn: Csn, items: Vec<T>) -> Step<T> {
        if self.error.is_none() {
            if seq.y() != self.next_y {
                self.error = Some(ReassemblyError::SequenceJump);
            } else if self.msn.is_some_and(|m| m != msn) {
                self.error = Some(ReassemblyError::MsnChanged);
            } else if self.items.len() + items.len() > self.max {
                self.error = Some(ReassemblyError::TooLarge);
            }
        }
        self.msn.get_or_insert(msn);
        self.next_y = seq.y().wrapping_add(1);
        match self.error {
            Some(_) => self.items = Vec::new(),
            None => self.items.extend(items),
        }
        if !seq.last() {
            return Step::More;
        }
        match self.error.take() {
            Some(e) => Step::Failed(e),
            None => Step::Done {
                items: std::mem::take(&mut self.items),
                msn,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(last: bool, y: u16) -> SeqXy {
        SeqXy::new(last, y).unwrap()
    }

    #[test]
    fn in_order_parts_complete() {
        let mut r = Reassembly::new(10);
        assert_eq!(r.part(s(false, 1), Csn(7), vec![1, 2]), Step::More);
        assert_eq!(r.part(s(false, 2), Csn(7), vec![3]), Step::More);
        assert_eq!(
            r.part(s(true, 3), Csn(7), vec![4]),
            Step::Done {
                items: vec![1, 2, 3, 4],
                msn: Csn(7)
            }
        );
    }

    #[test]
    fn jump_waits_for_the_last_part() {
        let mut r = Reassembly::new(10);
        assert_eq!(r.part(s(false, 1), Csn(7), vec![1]), Step::More);
        assert_eq!(r.part(s(false, 3), Csn(7), vec![3]), Step::More);
        assert_eq!(
            r.part(s(true, 4), Csn(7), vec![4]),
            Step::Failed(ReassemblyError::SequenceJump)
        );
        let mut r = Reassembly::new(10);
        assert_eq!(
            r.part(s(true, 2), Csn(7), vec![4]),
            Step::Failed(ReassemblyError::SequenceJump),
            "the first part was lost"
        );
    }

    #[test]
    fn msn_change_and_bound() {
        let mut r = Reassembly::new(10);
        assert_eq!(r.part(s(false, 1), Csn(7), vec![1]), Step::More);
        assert_eq!(
            r.part(s(true, 2), Csn(8), vec![2]),
            Step::Failed(ReassemblyError::MsnChanged)
        );
        let mut r = Reassembly::new(2);
        assert_eq!(
            r.part(s(true, 1), Csn(7), vec![1, 2, 3]),
            Step::Failed(ReassemblyError::TooLarge)
        );
    }
}
