//! systemd's readiness notification (`Type=notify`): one datagram to
//! `$NOTIFY_SOCKET`, nothing when it is unset.

use std::os::unix::net::UnixDatagram;

/// Tells systemd `state` (e.g. `READY=1`); a no-op outside systemd.
pub fn sd_notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|socket| {
        let bytes = path.as_encoded_bytes();
        if let Some(name) = bytes.strip_prefix(b"@") {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            socket.send_to_addr(state.as_bytes(), &addr)
        } else {
            socket.send_to(state.as_bytes(), &path)
        }
    });
    if let Err(e) = sent {
        tracing::warn!("cannot notify systemd: {e}");
    }
}
