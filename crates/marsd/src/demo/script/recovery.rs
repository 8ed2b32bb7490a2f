//! Steps 5–7 of the story: server B killed, failover and flush, data again, B restarted
//! and re-aligned.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::{Demo, ALIGN_WITHIN, FACT_WITHIN, FAILOVER_WITHIN};
use crate::demo::ctl::{self, Deadline};
use crate::demo::narrator::{list, secs};
use crate::demo::plan::{FLUSH_GRACE_S, GROUP, REDIRECT_INTERVAL_S};

impl Demo {
    // ----- 5. failure --------------------------------------------------------------------

    pub(super) async fn failure(&mut self) -> Result<(), String> {
        self.n.step("Server B fails");
        self.n.explain(&format!(
            "   B is killed with SIGKILL: no goodbye. Its clients see their VCs to it die \
             (keepalives) and fail over to the next server of their MARS table; its peers \
             flush it after {} s without its redirect entry (2 x {REDIRECT_INTERVAL_S} s + \
             {FLUSH_GRACE_S} s grace, RFC 2443 §2).",
            2 * REDIRECT_INTERVAL_S + FLUSH_GRACE_S
        ));
        let b = self.index("B");
        let child = self.children[b].take().ok_or("server B is not running")?;
        let pid = child.pid();
        let t = Instant::now();
        child.kill().await;
        self.n
            .fact(&format!("killed server B (pid {pid}) with SIGKILL"));
        let c_atm = self.atm_of("C").to_string();
        let b_atm = self.atm_of("B").to_string();
        let groups = |c: &str| -> usize {
            match c {
                "c2" => 2,
                _ => 1,
            }
        };
        let mut noticed: BTreeMap<&str, Duration> = BTreeMap::new();
        let mut moved: BTreeMap<&str, (Duration, u64, Vec<String>)> = BTreeMap::new();
        let mut flushed: BTreeMap<&str, Duration> = BTreeMap::new();
        let dl = Deadline::new(FAILOVER_WITHIN, "failover of c2 and c3 and the flush of B");
        loop {
            for c in ["c2", "c3"] {
                if moved.contains_key(c) {
                    continue;
                }
                let sock = self.sock(c);
                let Some(r) = ctl::registration(sock).await else {
                    continue;
                };
                if !r.registered || r.mars != b_atm {
                    noticed.entry(c).or_insert_with(|| t.elapsed());
                }
                if r.registered && r.mars == c_atm {
                    if let Some((g, true)) = ctl::joined(sock).await {
                        if g.len() == groups(c) {
                            moved.insert(c, (t.elapsed(), r.cmi, g));
                        }
                    }
                }
            }
            for s in ["A", "C"] {
                if !flushed.contains_key(s)
                    && ctl::peer_servers(self.sock(s))
                        .await
                        .is_some_and(|p| !p.contains(&2))
                {
                    flushed.insert(s, t.elapsed());
                }
            }
            if moved.len() == 2 && flushed.len() == 2 {
                break;
            }
            dl.tick().await?;
        }
        for (c, (d, cmi, g)) in &moved {
            self.n.fact(&format!(
                "{c} lost server B after {} and failed over to server C after {}: CMI {cmi}, \
                 re-joined {}",
                secs(noticed.get(c).copied().unwrap_or(*d)),
                secs(*d),
                list(g)
            ));
        }
        let last_move = moved.values().map(|m| m.0).max().unwrap_or_default();
        let first_flush = flushed.values().copied().min().unwrap_or_default();
        self.n.fact(&format!(
            "A flushed B after {} and C after {}{}: their redirect maps no longer list B",
            secs(flushed.get("A").copied().unwrap_or_default()),
            secs(flushed.get("C").copied().unwrap_or_default()),
            if last_move < first_flush {
                " (B's clients had moved to C already)"
            } else {
                ""
            }
        ));
        self.check_redirect_maps(&["A", "C"], &["A", "C"]).await?;
        let want = [self.atm_of("c2").to_string(), self.atm_of("c3").to_string()];
        let dl = Deadline::new(FACT_WITHIN, "A learning c2 and c3 from C");
        loop {
            let rows = ctl::endpoints(self.sock("A")).await.unwrap_or_default();
            let from_c = want.iter().all(|a| {
                rows.iter()
                    .any(|(x, _, o)| x == a && o == "peer 0x00000003")
            });
            if from_c {
                break;
            }
            dl.tick().await?;
        }
        self.n
            .fact("A now knows c2 and c3 as C's clients (learned through SCSP)");
        Ok(())
    }

    /// Wait until each of `at` has exactly `servers` (in its own rotation) in its redirect map.
    async fn check_redirect_maps(&self, at: &[&str], servers: &[&str]) -> Result<(), String> {
        let want: BTreeSet<String> = servers.iter().map(|s| self.atm_of(s).to_string()).collect();
        let dl = Deadline::new(
            FACT_WITHIN,
            format!("redirect maps listing {}", servers.join(", ")),
        );
        for s in at {
            loop {
                let map = ctl::show(self.sock(s), "redirect-map").await.ok();
                let have: Option<BTreeSet<String>> = map.and_then(|m| {
                    m["servers"].as_array().map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                });
                if have.as_ref() == Some(&want) {
                    break;
                }
                dl.tick().await?;
            }
        }
        Ok(())
    }

    // ----- 6. data again -----------------------------------------------------------------

    pub(super) async fn data_again(&mut self) -> Result<(), String> {
        self.n.step("Data flows again");
        let first = self.sent + 1;
        for _ in 0..3 {
            self.datagram("c1", GROUP, &["c2", "c3", "c4"]).await?;
        }
        self.n.fact(&format!(
            "datagrams {first}-{} from c1 to {GROUP} delivered to c2, c3 and c4",
            self.sent
        ));
        let n = self.datagram("c3", GROUP, &["c1", "c2", "c4"]).await?;
        self.n.fact(&format!(
            "datagram {n} from c3 (now a client of C) to {GROUP} delivered to c1, c2 and c4"
        ));
        self.via_mcs("c1").await?;
        // Anything that arrived after the checks: a late copy would show here.
        if let Ok(r) = self.rx.try_recv() {
            return Err(format!("{} reached {} unexpectedly", r.text, r.by));
        }
        let deliveries: usize = self.got.values().map(BTreeSet::len).sum();
        self.n.fact(&format!(
            "nothing lost: {} datagrams sent in all, {deliveries} deliveries, each to every \
             member and to no one else",
            self.sent
        ));
        Ok(())
    }

    // ----- 7. restart --------------------------------------------------------------------

    pub(super) async fn restart(&mut self) -> Result<(), String> {
        self.n.step("Server B restarts");
        self.n.explain(
            "   Same configuration. SCSP re-aligns B's empty cache with A's and C's; B learns \
             every client and the MCS from them and announces itself again.",
        );
        let t = Instant::now();
        let pid = self.start("B").await?;
        self.n.fact(&format!(
            "restarted server B (pid {pid}) with the same configuration"
        ));
        let want: BTreeSet<String> = self
            .plan
            .members()
            .iter()
            .map(|m| self.atm_of(&m.name).to_string())
            .collect();
        let dl = Deadline::new(ALIGN_WITHIN, "B's re-alignment with A and C");
        let records = loop {
            let mut sizes = Vec::new();
            let mut ok = true;
            for s in ["A", "B", "C"] {
                match ctl::aligned(self.sock(s)).await {
                    Some((aligned, n)) => {
                        ok &= aligned;
                        sizes.push(n);
                    }
                    None => ok = false,
                }
            }
            let known: BTreeSet<String> = ctl::endpoints(self.sock("B"))
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(a, _, _)| a)
                .collect();
            if ok && sizes.len() == 3 && sizes.iter().all(|&n| n == sizes[0]) && known == want {
                break sizes[0];
            }
            dl.tick().await?;
        };
        self.n.fact(&format!(
            "B re-aligned with A and C after {}: cache of {records} records, the same as A's \
             and C's; it knows the 4 clients and the MCS",
            secs(t.elapsed())
        ));
        self.check_redirect_maps(&["A", "B", "C"], &["A", "B", "C"])
            .await?;
        self.n
            .fact("A, B and C list all three servers in their redirect maps again");
        self.join("c1", "224.1.0.2").await
    }
}
