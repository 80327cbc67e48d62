//! [`Lossy`]: a [`Transport`] that drops a share of what it receives and of
//! what it sends, for tests of retransmission on real networks (the kernel
//! here has no `netem`).

use std::io;

use super::transport::{Datagram, Transport};
use crate::engine::Transmit;
use crate::rng::Rng;

/// Wraps a transport and drops a share of the datagrams it receives and of
/// those it sends, chosen by a seeded generator (the same seed drops the
/// same positions).
pub struct Lossy<T> {
    inner: T,
    rx_percent: u8,
    tx_percent: u8,
    rng: Rng,
    dropped: u64,
}

impl<T: Transport> Lossy<T> {
    /// Drop `rx_percent` % of what `inner` receives and `tx_percent` % of
    /// what is sent through it (each capped at 100).
    pub fn new(inner: T, rx_percent: u8, tx_percent: u8, seed: u64) -> Self {
        Lossy {
            inner,
            rx_percent: rx_percent.min(100),
            tx_percent: tx_percent.min(100),
            rng: Rng::new(seed),
            dropped: 0,
        }
    }

    /// How many datagrams were dropped so far, both ways.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the next datagram is dropped, at `percent` %.
    fn drops(&mut self, percent: u8) -> bool {
        let drop = self.rng.below_inclusive(99) < u64::from(percent);
        self.dropped += u64::from(drop);
        drop
    }
}

impl<T: Transport> Transport for Lossy<T> {
    fn send(&mut self, transmit: &Transmit) {
        if !self.drops(self.tx_percent) {
            self.inner.send(transmit);
        }
    }

    async fn recv(&mut self) -> io::Result<Datagram> {
        loop {
            let datagram = self.inner.recv().await?;
            if !self.drops(self.rx_percent) {
                return Ok(datagram);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::MediumId;
    use bytes::Bytes;

    /// Hands out numbered datagrams forever.
    struct Counter(u64);

    impl Transport for Counter {
        fn send(&mut self, _: &Transmit) {}

        async fn recv(&mut self) -> io::Result<Datagram> {
            self.0 += 1;
            Ok(Datagram {
                medium: MediumId(0),
                bytes: Bytes::from(self.0.to_be_bytes().to_vec()),
            })
        }
    }

    fn received(percent: u8, n: usize) -> (Vec<u64>, u64) {
        let mut lossy = Lossy::new(Counter(0), percent, 0, 7);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let got = rt.block_on(async {
            let mut got = Vec::new();
            for _ in 0..n {
                let d = lossy.recv().await.unwrap();
                got.push(u64::from_be_bytes(d.bytes[..].try_into().unwrap()));
            }
            got
        });
        (got, lossy.dropped())
    }

    #[test]
    fn drops_about_the_share_asked_and_keeps_order() {
        let (got, dropped) = received(10, 10_000);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        let share = dropped as f64 / (dropped as f64 + 10_000.0);
        assert!((0.08..0.12).contains(&share), "dropped share {share}");
    }

    #[test]
    fn zero_percent_drops_nothing() {
        let (got, dropped) = received(0, 1000);
        assert_eq!(dropped, 0);
        assert_eq!(got, (1..=1000).collect::<Vec<_>>());
    }
}
