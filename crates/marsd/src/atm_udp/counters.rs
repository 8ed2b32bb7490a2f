//! What an endpoint counts: traffic, and every datagram or request it dropped, by reason.

/// Counters of one endpoint. Every drop has its own reason; none is silent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Datagrams handed to the socket.
    pub datagrams_out: u64,
    /// SDUs delivered to the engine.
    pub sdus_delivered: u64,
    /// SDUs sent (each leaf of a fan-out counts once).
    pub sdus_sent: u64,
    /// Dropped: the datagram did not decode (bad magic, version, type, length, field).
    pub drop_malformed: u64,
    /// Dropped: names a call reference this endpoint does not hold.
    pub drop_unknown_call: u64,
    /// Dropped: names a call held with another peer (source address mismatch).
    pub drop_wrong_peer: u64,
    /// Dropped: a DATA whose sequence number is not above the last delivered (late or duplicate).
    pub drop_late_or_duplicate: u64,
    /// Dropped: a message that makes no sense in the leg's state or direction.
    pub drop_protocol_error: u64,
    /// Dropped: SETUP/ADD PARTY beyond the pending or leg limits (answered with cause #47).
    pub drop_setup_limit: u64,
    /// Dropped: SETUP/ADD PARTY for an address that is not this endpoint's (answered #1).
    pub drop_wrong_called_address: u64,
    /// Duplicate requests answered again without being acted on.
    pub duplicates_answered: u64,
    /// KEEPALIVEs from sources that share no call with this endpoint.
    pub keepalive_from_stranger: u64,
    /// Requests retransmitted.
    pub retransmissions: u64,
    /// Calls or parties that failed because a request went unanswered.
    pub signalling_timeouts: u64,
    /// Peers declared dead (silence or a new instance number).
    pub peers_lost: u64,
    /// Engine requests that were ignored (unknown or dead handle, wrong role, SDU too large).
    pub engine_misuse: u64,
    /// Datagrams the socket refused to send.
    pub send_errors: u64,
    /// Receive errors reported by the socket (e.g. ICMP port unreachable).
    pub recv_errors: u64,
}

impl Counters {
    /// Every drop, summed.
    pub fn dropped(&self) -> u64 {
        self.drop_malformed
            + self.drop_unknown_call
            + self.drop_wrong_peer
            + self.drop_late_or_duplicate
            + self.drop_protocol_error
            + self.drop_setup_limit
            + self.drop_wrong_called_address
    }
}
