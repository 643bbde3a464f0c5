//! IP networks for `cidr`: parsed once when rules compile, tested against an
//! event's address with two shifts.
//!
//! Both families live in one `u128`; an IPv4 address embedded in IPv6
//! (`::ffff:10.1.2.3`, as dual-stack sockets report it) is tested as IPv4.

use std::net::IpAddr;

/// One network: `10.0.0.0/8`, `fe80::/10`; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    v6: bool,
    bits: u128,
    prefix: u8,
}

impl Net {
    /// Parses `ADDRESS[/PREFIX]`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Net, String> {
        let t = text.trim();
        let (addr, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{text}' is not a network: '{addr}' is not an IPv4 or IPv6 address"))?;
        let (v6, bits, max) = family(ip);
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| format!("'{text}' is not a network: the prefix length must be 0 to {max}"))?,
        };
        Ok(Net { v6, bits: bits & mask(prefix, max), prefix })
    }

    /// The prefix length: how specific the network is.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether the address lies inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, bits, max) = family(ip);
        v6 == self.v6 && bits & mask(self.prefix, max) == self.bits
    }
}

/// Reads an address as events write it: surrounding blanks, `[...]`
/// brackets and an IPv6 zone (`%eth0`) are ignored; `-` and other
/// non-addresses give `None`.
pub fn parse_address(value: &str) -> Option<IpAddr> {
    let t = value.trim();
    let t = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(t);
    let t = t.split_once('%').map_or(t, |(a, _)| a);
    t.parse().ok()
}

/// The address as (is IPv6, its bits right-aligned, its width).
fn family(ip: IpAddr) -> (bool, u128, u8) {
    match ip {
        IpAddr::V4(a) => (false, u32::from(a) as u128, 32),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => (false, u32::from(v4) as u128, 32),
            None => (true, u128::from(a), 128),
        },
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let ones = u128::MAX << (128 - prefix as u32);
    ones >> (128 - width as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(net: &str, addr: &str) -> bool {
        Net::parse(net).unwrap().contains(parse_address(addr).unwrap())
    }

    #[test]
    fn networks_of_both_families() {
        assert!(inside("10.0.0.0/8", "10.255.1.2"));
        assert!(!inside("10.0.0.0/8", "11.0.0.1"));
        assert!(inside("192.168.1.0/24", " 192.168.1.77 "));
        assert!(inside("0.0.0.0/0", "8.8.8.8"));
        assert!(!inside("0.0.0.0/0", "::1"));
        assert!(inside("172.16.0.0/12", "172.31.255.255"));
        assert!(!inside("172.16.0.0/12", "172.32.0.0"));
        assert!(inside("fe80::/10", "fe80::1%12"));
        assert!(inside("fe80::/10", "[febf::1]"));
        assert!(!inside("fe80::/10", "fec0::1"));
        assert!(inside("::1/128", "::1"));
        assert!(inside("127.0.0.1", "127.0.0.1"));
        // IPv4 reported through a dual-stack socket.
        assert!(inside("10.0.0.0/8", "::ffff:10.1.2.3"));
        // Host bits in the network are ignored, as `ip route` does.
        assert!(inside("10.1.2.3/8", "10.9.9.9"));
    }

    #[test]
    fn malformed_networks_and_addresses() {
        assert!(Net::parse("10.0.0.0/33").unwrap_err().contains("0 to 32"));
        assert!(Net::parse("::/129").unwrap_err().contains("0 to 128"));
        assert!(Net::parse("10.0.0/8").is_err());
        assert!(Net::parse("10.0.0.0/x").is_err());
        assert!(Net::parse("host.example").is_err());
        assert_eq!(parse_address("-"), None);
        assert_eq!(parse_address(""), None);
        assert_eq!(parse_address("10.0.0.1:445"), None);
    }
}
