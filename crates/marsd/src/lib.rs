//! # marsd
//!
//! The Distributed MARS daemon and its operator CLI `marsctl`: configuration, the ATM
//! emulation over UDP, the control socket, metrics and captures, around the sans-IO engines of
//! `mars-proto`.
//!
//! Module map: [`config`] (the TOML file: schema, checks with line and key, engine
//! configurations, reload rules), [`atm_udp`] (the ATM emulation over UDP), `decode`
//! (`marsctl decode`).

pub mod atm_udp;
pub mod capture;
pub mod config;
pub mod control;
pub mod daemon;
pub mod decode;
pub mod demo;
pub mod logging;
pub mod metrics;
pub mod render;
pub mod roles;
pub mod runner;
pub mod signals;
