//! A fixed set of resources (ONNX Runtime sessions, forward-pass slots) lent out one per forward
//! pass. Callers beyond the pool's size wait for a free one rather than oversubscribe the cores.

use std::sync::{Condvar, Mutex};

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
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> Result<R>) -> Result<R> {
        let mut item = {
            let mut free = self.free.lock().map_err(|_| anyhow!("pool lock poisoned"))?;
            loop {
                if let Some(item) = free.pop() {
                    break item;
                }
                free = self.available.wait(free).map_err(|_| anyhow!("pool lock poisoned"))?;
            }
        };
        let result = f(&mut item);
        self.free.lock().map_err(|_| anyhow!("pool lock poisoned"))?.push(item);
        self.available.notify_one();
        result
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
        for t in threads {
            t.join().unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
