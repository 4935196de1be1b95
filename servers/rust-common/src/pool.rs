//! A fixed set of resources (ONNX Runtime sessions, forward-pass slots) lent out one per forward
//! pass. Callers beyond the pool's size wait for a free one rather than oversubscribe the cores.
//! Those waiting are counted, per pool and over every pool of the process (`embed_queue_depth`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

/// Callers waiting for an item, over every pool of the process.
static WAITING_IN_POOLS: AtomicUsize = AtomicUsize::new(0);

/// Callers of [`Pool::with`] waiting for a free item now, in every pool of the process.
pub fn waiting_in_pools() -> usize {
    WAITING_IN_POOLS.load(Ordering::Relaxed)
}

pub struct Pool<T> {
    free: Mutex<Vec<T>>,
    available: Condvar,
    size: usize,
    waiting: AtomicUsize,
}

impl<T> Pool<T> {
    pub fn new(items: Vec<T>) -> Pool<T> {
        let size = items.len();
        Pool { free: Mutex::new(items), available: Condvar::new(), size, waiting: AtomicUsize::new(0) }
    }

    /// Callers waiting for a free item now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
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
            let waits = free.is_empty().then(|| Waiter::new(&self.waiting));
            let item = loop {
                if let Some(item) = free.pop() {
                    break item;
                }
                free = self.available.wait(free).map_err(|_| anyhow!("pool lock poisoned"))?;
            };
            drop(waits);
            item
        };
        let waited = asked.elapsed();
        let result = f(&mut item);
        self.free.lock().map_err(|_| anyhow!("pool lock poisoned"))?.push(item);
        self.available.notify_one();
        result.map(|r| (r, waited))
    }
}

/// One caller counted as waiting (in its pool and in every pool's total) until dropped, which
/// also happens when the wait ends in an error.
struct Waiter<'a>(&'a AtomicUsize);

impl<'a> Waiter<'a> {
    fn new(pool: &'a AtomicUsize) -> Waiter<'a> {
        pool.fetch_add(1, Ordering::Relaxed);
        WAITING_IN_POOLS.fetch_add(1, Ordering::Relaxed);
        Waiter(pool)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
        WAITING_IN_POOLS.fetch_sub(1, Ordering::Relaxed);
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
        assert_eq!(pool.waiting(), 0);
    }

    #[test]
    fn counts_the_callers_waiting_for_an_item() {
        let pool = Arc::new(Pool::new(vec![()]));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (entered, has_entered) = std::sync::mpsc::channel::<()>();
        let holder = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                pool.with(|_| {
                    entered.send(()).unwrap();
                    hold.recv().unwrap();
                    Ok(())
                })
            })
        };
        has_entered.recv().unwrap();
        assert_eq!(pool.waiting(), 0, "the holder does not wait");
        let waiter = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || pool.with(|_| Ok(())))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while pool.waiting() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(pool.waiting(), 1, "the second caller waits");
        assert!(waiting_in_pools() >= 1);
        release.send(()).unwrap();
        holder.join().unwrap().unwrap();
        waiter.join().unwrap().unwrap();
        assert_eq!(pool.waiting(), 0);
    }
}
