//! # mars-wire
//!
//! Hand-written codecs for every message of the Distributed MARS service:
//!
//! - [`llc`]: LLC/SNAP framing (RFC 2684) and the MARS/SCSP codepoints;
//! - [`atm`]: ATM numbers and subaddresses (RFC 2022 §5.1.2);
//! - [`mars`]: MARS control messages, all 13 operations, and TLVs (RFC 2022 §4–§11, App. D);
//! - [`scsp`]: SCSP packets, records and extensions including authentication (RFC 2334 App. B);
//! - [`dmars`]: the RFC 2443 "MARS Specific Part" of SCSP CSA records;
//! - [`data`]: MARS data-path Type #1/#2 encapsulations (RFC 2022 §5.5);
//! - [`mcs_hello`]: the inter-MCS HELLO of RFC 2149 §5.3;
//! - [`emu`]: datagrams of the ATM emulation over UDP (`docs/atm-emulation.md`);
//! - [`seq`]: CSA sequence numbers and cluster sequence numbers with their comparison rules.
//!
//! Rules every decoder here keeps: it never panics; it allocates at most in proportion to its
//! input; a rejection is a [`DecodeError`] naming the field and byte offset; trailing octets are
//! an error; and any input that decodes re-encodes to exactly the same bytes.

pub mod atm;
pub mod checksum;
pub mod codec;
pub mod data;
pub mod dmars;
pub mod emu;
pub mod error;
pub mod llc;
pub mod mars;
pub mod mcs_hello;
pub mod pro;
pub mod proto_addr;
pub mod scsp;
pub mod seq;

pub use atm::{AddrPlan, AtmAddr, AtmAddress};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use pro::Protocol;
pub use proto_addr::ProtoAddr;
pub use seq::{CsaSeq, Csn, MsnCheck};
