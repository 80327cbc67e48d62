//! The built-in IPaddr resource in a network namespace of the test's own.

use heartbeat_lab::netns::Netns;

fn ipaddr(verb: &'static str, spec: &'static str) -> impl FnOnce() -> (bool, String) + Send {
    move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(heartbeatd::ipaddr::run(&[spec.to_owned()], verb))
    }
}

#[test]
fn floating_address_is_added_found_and_removed() {
    let Some(ns) = Netns::create("ipaddr") else {
        return;
    };
    ns.ip(&["link", "add", "hb0", "type", "veth", "peer", "name", "hb0p"]);
    ns.ip(&["link", "set", "hb0p", "up"]);
    ns.ip(&["addr", "add", "10.213.7.1/24", "dev", "hb0"]);
    ns.ip(&["link", "set", "hb0", "up"]);

    let (ok, out) = ns.run_inside(ipaddr("start", "10.213.7.100"));
    assert!(ok, "{out}");
    let shown = ns.ip(&["-4", "-o", "addr", "show", "dev", "hb0"]);
    assert!(
        shown.contains("10.213.7.100/24"),
        "subnet of hb0 chosen: {shown}"
    );

    let (ok, out) = ns.run_inside(ipaddr("start", "10.213.7.100"));
    assert!(ok && out.contains("already"), "start is idempotent: {out}");
    let (ok, out) = ns.run_inside(ipaddr("status", "10.213.7.100"));
    assert!(ok && out.contains("running"), "{out}");

    let (ok, out) = ns.run_inside(ipaddr("stop", "10.213.7.100"));
    assert!(ok, "{out}");
    assert!(!ns
        .ip(&["-4", "-o", "addr", "show"])
        .contains("10.213.7.100"));
    let (ok, out) = ns.run_inside(ipaddr("status", "10.213.7.100"));
    assert!(ok && out.contains("stopped"), "{out}");

    let (ok, out) = ns.run_inside(ipaddr("start", "10.99.0.1"));
    assert!(!ok && out.contains("no interface"), "{out}");
}
