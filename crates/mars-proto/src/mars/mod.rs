//! The MARS (RFC 2022): server, client and MCS engines and their shared pieces.

pub mod blocks;
pub mod client;
pub mod db;
pub mod mcs;
pub mod range;
pub mod server;
pub mod update;
