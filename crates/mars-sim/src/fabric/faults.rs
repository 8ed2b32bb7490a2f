//! Faults the test injects: endpoint crashes and restarts, partitions.

use std::mem;

use super::endpoint::LocalVc;
use super::leg::Side;
use super::queue::Action;
use super::{EndpointId, Fabric};

impl Fabric {
    /// `ep` dies: it loses every VC and every undelivered event at once, and after
    /// [`super::FabricConfig::crash_detection`] the network releases its VCs towards the
    /// surviving ends with cause #27. Calls to it fail with #27 until it restarts. Nothing
    /// happens if it is already dead.
    pub fn crash(&mut self, ep: EndpointId) {
        let Some(e) = self.endpoints.get_mut(ep.index()) else {
            return;
        };
        if !e.alive {
            return;
        }
        e.alive = false;
        e.events.clear();
        let vcs = mem::take(&mut e.vcs);
        let pending = mem::take(&mut e.pending);
        tracing::debug!(%ep, vcs = vcs.len(), "endpoint crashed");

        let mut affected = Vec::new();
        for handle in vcs.into_values() {
            match handle {
                LocalVc::Leg { leg, side } => {
                    self.detach(leg, side);
                    affected.push(leg);
                }
                LocalVc::Root(root) => {
                    if let Some(label) = root.label {
                        self.labels.release(label);
                    }
                    for leg in root.parties.into_values() {
                        self.detach(leg, Side::Root);
                        affected.push(leg);
                    }
                }
            }
        }
        for leg in pending {
            self.detach(leg, Side::Leaf);
            affected.push(leg);
        }
        // Only legs with a surviving end need the network's release.
        affected.retain(|k| self.legs.contains_key(k));
        affected.sort_unstable();
        affected.dedup();
        if !affected.is_empty() {
            let at = self.now + self.config.crash_detection;
            self.queue
                .push(at, Action::CrashDetected { legs: affected });
        }
    }

    /// Bring a crashed `ep` back: same address, no VCs. Nothing happens if it is alive.
    pub fn restart(&mut self, ep: EndpointId) {
        if let Some(e) = self.endpoints.get_mut(ep.index()) {
            if !e.alive {
                tracing::debug!(%ep, "endpoint restarted");
                e.alive = true;
            }
        }
    }

    /// Split the fabric: each group becomes an island, and every endpoint in no group forms
    /// one more. Replaces any earlier partition. SDUs between islands are lost and calls
    /// across fail with #3 at once; VCs that still cross a partition after
    /// [`super::FabricConfig::partition_detection`] are released with #27.
    pub fn partition(&mut self, groups: &[&[EndpointId]]) {
        for e in &mut self.endpoints {
            e.island = 0;
        }
        for group in groups {
            self.next_island += 1;
            for ep in *group {
                if let Some(e) = self.endpoints.get_mut(ep.index()) {
                    e.island = self.next_island;
                }
            }
        }
        tracing::debug!(groups = groups.len(), "partition");
        let at = self.now + self.config.partition_detection;
        self.queue.push(at, Action::PartitionCheck);
    }

    /// Cut `ep` off from everyone else (a partition with one group).
    pub fn isolate(&mut self, ep: EndpointId) {
        self.partition(&[&[ep]]);
    }

    /// End every partition. VCs not yet released by partition detection survive.
    pub fn heal(&mut self) {
        for e in &mut self.endpoints {
            e.island = 0;
        }
        tracing::debug!("partition healed");
    }
}
