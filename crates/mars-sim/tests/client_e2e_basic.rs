//! End-to-end: MARS clients and the MARS server on the fabric — registration, JOIN, VC mesh
//! data delivery, LEAVE (RFC 2022 §5).

mod client_support;

use std::time::Duration;

use client_support::{group, Cluster, Spec};

#[test]
fn registration_join_and_mesh_delivery() {
    let mut c = Cluster::new(Spec {
        clients: 4,
        ..Spec::default()
    });
    c.run(Duration::from_secs(2));
    assert!(c.all_registered(), "{:?}", c.events);
    let g = group(1);
    for i in 1..4 {
        c.join(i, g);
    }
    c.run(Duration::from_secs(2));
    for seq in 0..10 {
        c.send(0, g, seq);
        c.run(Duration::from_millis(50));
    }
    c.run(Duration::from_secs(1));
    for i in 1..4 {
        assert_eq!(
            c.seen_from(i, g, 0),
            (0..10).collect::<Vec<_>>(),
            "client {i}: {:?}",
            c.events.get(&i)
        );
    }
    assert!(c.seen.get(&0).is_none(), "the sender is not its own leaf");
}
