//! The control protocol between `marsctl` and `marsd`: JSON lines over a Unix stream socket.
//!
//! The client writes one [`Request`] per line; the daemon answers each with one
//! [`Response`] line before reading the next. A streaming request (`recv`) is answered by
//! any number of `{"ok":true,"datagram":…}` lines, then a final `result` line (after
//! `count` datagrams) — or until the client closes the connection. Every error is one line,
//! `{"ok":false,"error":"…"}`; the connection stays usable after it. The full description,
//! with every result's shape, is in `docs/operations.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::roles::views::Show;

/// The longest request line accepted.
pub const MAX_LINE: usize = 64 * 1024;

/// One request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// The daemon: version, uptime, roles, sockets. (Struct variants throughout, so that
    /// unknown fields are refused here too.)
    Status {},
    /// A view of every role (or of `role`).
    Show {
        /// Which view.
        what: Show,
        /// One role only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Join a group or block (client role).
    Join {
        /// `224.1.2.3` or `224.1.0.0-224.1.0.255`.
        group: String,
        /// The client role (needed when there are several).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Leave a group or block, exactly as joined (client role).
    Leave {
        /// As joined.
        group: String,
        /// The client role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Ask the client's MARS what it answers for a group (MARS_REQUEST → MULTI or NAK).
    Resolve {
        /// One group.
        group: String,
        /// The client role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Send `text` to a group (client role).
    Send {
        /// One group.
        group: String,
        /// The payload.
        text: String,
        /// The client role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Stream the datagrams the client role receives.
    Recv {
        /// Stop after this many (default: until the connection closes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u64>,
        /// The client role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Reload the configuration file (as SIGHUP does).
    Reload {},
}

/// One response line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Whether the request succeeded.
    pub ok: bool,
    /// The result (final line of a success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// One datagram of a `recv` stream (more lines follow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datagram: Option<Value>,
    /// What went wrong, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Response {
    /// A final success.
    pub fn result(v: Value) -> Self {
        Response {
            ok: true,
            result: Some(v),
            datagram: None,
            error: None,
        }
    }

    /// A streamed datagram.
    pub fn datagram(v: Value) -> Self {
        Response {
            ok: true,
            result: None,
            datagram: Some(v),
            error: None,
        }
    }

    /// A failure.
    pub fn error(e: impl Into<String>) -> Self {
        let e: String = e.into();
        Response {
            ok: false,
            result: None,
            datagram: None,
            error: Some(e.replace('\n', "; ")),
        }
    }

    /// The line to write (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| r#"{"ok":false,"error":"unserialisable response"}"#.into())
    }
}

/// Parse a request line; the error is the one-line answer to send.
pub fn parse_request(line: &str) -> Result<Request, String> {
    serde_json::from_str(line).map_err(|e| {
        let msg = e.to_string();
        // serde_json appends " at line 1 column N": keep the reason only.
        let reason = msg.split(" at line ").next().unwrap_or(&msg);
        format!("bad request: {reason}")
    })
}
