//! What the media need to know about a network interface: its index, its
//! first IPv4 address and its IPv4 broadcast address (`getifaddrs`).

use std::io;
use std::net::Ipv4Addr;
use std::num::NonZeroU32;

use nix::ifaddrs::getifaddrs;
use nix::net::if_::{if_nametoindex, InterfaceFlags};

use super::NetError;

/// The IPv4 facts of one interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interface {
    /// Interface index.
    pub(crate) index: NonZeroU32,
    /// First IPv4 address, if any.
    pub(crate) addr: Option<Ipv4Addr>,
    /// IPv4 broadcast address, if the interface has one.
    pub(crate) broadcast: Option<Ipv4Addr>,
}

/// Look `dev` up; `medium` names the medium in errors.
pub(crate) fn lookup(dev: &str, medium: &str) -> Result<Interface, NetError> {
    let no_such = || NetError::NoSuchInterface {
        medium: medium.to_owned(),
    };
    let index = if_nametoindex(dev).map_err(|_| no_such())?;
    let index = NonZeroU32::new(index).ok_or_else(no_such)?;
    let mut iface = Interface {
        index,
        addr: None,
        broadcast: None,
    };
    let addrs = getifaddrs().map_err(|e| NetError::Interfaces(io::Error::from(e)))?;
    for ifa in addrs.filter(|a| a.interface_name == dev) {
        let Some(addr) = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in()) else {
            continue;
        };
        if iface.addr.is_none() {
            iface.addr = Some(addr.ip());
        }
        if iface.broadcast.is_none() && ifa.flags.contains(InterfaceFlags::IFF_BROADCAST) {
            iface.broadcast = ifa
                .broadcast
                .as_ref()
                .and_then(|b| b.as_sockaddr_in())
                .map(|b| b.ip());
        }
    }
    Ok(iface)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_has_an_address_and_no_broadcast() {
        let lo = lookup("lo", "ucast lo x").unwrap();
        assert_eq!(lo.addr, Some(Ipv4Addr::LOCALHOST));
        assert_eq!(lo.broadcast, None);
    }

    #[test]
    fn unknown_interface_is_named() {
        let err = lookup("nosuchif0", "bcast nosuchif0").unwrap_err();
        assert_eq!(err.to_string(), "bcast nosuchif0: no such interface");
    }
}
