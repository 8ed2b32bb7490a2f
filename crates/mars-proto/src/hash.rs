//! The hash maps of the engines and the emulation: std's `HashMap` with foldhash.
//!
//! SipHash, std's default, was a fifth of a MARS server's user-space CPU when answering
//! MARS_REQUESTs (keys are short: CMIs, VC ids, ATM addresses). foldhash is the hasher
//! hashbrown itself defaults to; its seed is random per process, so keys a peer chooses (ATM
//! addresses, group addresses) cannot be aimed at one bucket ahead of time. Nothing may depend
//! on a map's iteration order (it differs from run to run, as with std's hasher): the
//! simulator's determinism test would catch it.

/// A hash map with the engines' hasher. Create with `Map::default()`.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
