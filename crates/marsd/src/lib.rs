//! # marsd
//!
//! The Distributed MARS daemon and its operator CLI `marsctl`: configuration, the ATM
//! emulation over UDP, the control socket, metrics and captures, around the sans-IO engines of
//! `mars-proto`.

pub mod atm_udp;
pub mod decode;
