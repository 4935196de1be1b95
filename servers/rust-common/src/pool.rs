//! A fixed set of resources (ONNX Runtime sessions, forward-pass slots) lent out one per forward
//! pass. Callers beyond the pool's size wait for a free one rather than oversubscribe the cores.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

pub struct Pool<T> {
    free: Mutex<Vec<T>>,
    available: Condvar,
    size: usize,
}

impl<T> Pool<T> {
    pub fn new(items: Vec<T>) -> Pool<T> {
        let size = items.len();
        Pool { free: Mutex::new(items), available: Condvar::new(), size }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `f` with exclusive use of one item; the lock is held only to take and return it.
    /// Also returns how long the caller waited for a free item (a request's queue time).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> Result<R>) -> Result<(R, Duration)> {
        let asked = Instant::now();
        let mut item = {
            let mut free = self.free.lock().map_err(|_| anyhow!("pool lock poisoned"))?;
            loop {
                if let Some(item) = free.pop() {
                    break item;
                }
                free = self.available.wait(free).map_err(|_| anyhow!("pool lock poisoned"))?;
            }
        };
        let waited = asked.elapsed();
        let result = f(&mut item);
        self.free.lock().map_err(|_| anyhow!("pool lock poisoned"))?.push(item);
        self.available.notify_one();
        result.map(|r| (r, waited))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn never_lends_more_than_its_size() {
        let pool = Arc::new(Pool::new(vec![(), ()]));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (pool, inside, peak) = (Arc::clone(&pool), Arc::clone(&inside), Arc::clone(&peak));
                std::thread::spawn(move || {
                    pool.with(|_| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        inside.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                })
            })
            .collect();
        let waited: Vec<Duration> = threads.into_iter().map(|t| t.join().unwrap().unwrap().1).collect();
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        // 8 callers for 2 items held 5 ms each: someone waited at least one holder's turn.
        assert!(waited.iter().max().unwrap() >= &Duration::from_millis(5), "{waited:?}");
    }
}
