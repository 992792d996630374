//! Limits on what one client can make the server do: wrong passwords per
//! account and per address, requests per address to the unauthenticated
//! endpoints that cost work (public survey posts, the widget, inbound
//! webhooks), and a bound on concurrent password hashing so that a flood
//! of logins cannot take the CPU and memory that ingest needs.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts events per key in fixed windows; refuses a key once it reached
/// `max` in the current window, until the window ends.
#[derive(Debug)]
pub struct Window {
    max: u32,
    length: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Keys kept before stale windows are swept out (bounds memory under a
/// flood from many addresses).
const SWEEP_AT: usize = 10_000;

impl Window {
    pub fn new(max: u32, length: Duration) -> Self {
        Window { max, length, counts: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds to wait)` when `key` has used up its window.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let Ok(counts) = self.counts.lock() else { return Ok(()) };
        match counts.get(key) {
            Some((start, n)) if *n >= self.max && start.elapsed() < self.length => {
                Err(self.length.saturating_sub(start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one event for `key`.
    pub fn record(&self, key: &str) {
        let Ok(mut counts) = self.counts.lock() else { return };
        let now = Instant::now();
        if counts.len() >= SWEEP_AT {
            let length = self.length;
            counts.retain(|_, (start, _)| now.duration_since(*start) < length);
        }
        let entry = counts.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.length {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Counts one event and refuses it if the window was already full.
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        self.check(key)?;
        self.record(key);
        Ok(())
    }

    /// Forgets `key` (a correct password clears the account's failures).
    pub fn clear(&self, key: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.remove(key);
        }
    }
}

/// The limits one server process enforces.
#[derive(Debug)]
pub struct Limits {
    /// Wrong passwords per account (by email) per minute.
    pub login_account: Window,
    /// Wrong passwords per client address per minute.
    pub login_address: Window,
    /// Unauthenticated requests that do work, per client address per minute.
    pub public: Window,
    /// Password hashes computed at once (argon2 takes ~19 MiB and a core each).
    pub hashing: tokio::sync::Semaphore,
}

/// Wrong passwords allowed per account per minute.
pub const LOGIN_PER_ACCOUNT: u32 = 5;
/// Wrong passwords allowed per address per minute.
pub const LOGIN_PER_ADDRESS: u32 = 20;

impl Limits {
    /// `public_per_window`: the organisation's limit on public posts per
    /// address in each `window` (a minute, outside tests).
    pub fn new(public_per_window: u32, window: Duration) -> Self {
        let minute = window;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            login_account: Window::new(LOGIN_PER_ACCOUNT, minute),
            login_address: Window::new(LOGIN_PER_ADDRESS, minute),
            public: Window::new(public_per_window.max(1), minute),
            hashing: tokio::sync::Semaphore::new(cores.div_ceil(2).max(1)),
        }
    }
}

/// The key of a client address: IPv6 clients are grouped by /64, which is
/// what one subscriber gets.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_max_and_others_are_not() {
        let w = Window::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(w.hit("a").is_ok());
        }
        let wait = w.hit("a").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(w.hit("b").is_ok());
        w.clear("a");
        assert!(w.hit("a").is_ok());
    }

    #[test]
    fn the_window_ends() {
        let w = Window::new(1, Duration::from_millis(20));
        assert!(w.hit("a").is_ok());
        assert!(w.hit("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(w.hit("a").is_ok());
    }

    #[test]
    fn ipv6_addresses_group_by_subscriber() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
