//! `GET /metrics`: the Python servers' families (servers/pycommon/embedserver/metrics.py) with the
//! same names, help, types, labels and buckets, in the Prometheus text format 0.0.4 that
//! prometheus_client writes. The `prometheus` crate writes that format; `prometheus-client` would
//! write OpenMetrics, whose counter families lose the `_total` the Python servers show.
//!
//! Label: `framework`, as in the Python servers (which sum their processes, so no per-process label).
//!
//! Gauges: `embed_in_flight`, the embedding requests whose handler runs now ([`Metrics::in_flight`]);
//! `embed_queue_depth`, the requests waiting for their model call to start (for a blocking thread,
//! [`Metrics::queued`], then for a session or slot of a [`crate::Pool`]): the waits `embed_queue_ms` times.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Opts, Registry, TextEncoder};

pub const BUCKETS_MS: [f64; 12] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0];
pub const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub const IN_FLIGHT_HELP: &str = "Embedding requests (POST /embed, POST /v1/embeddings) being served now.";
pub const QUEUE_DEPTH_HELP: &str = "Requests waiting for their model call to start.";

/// One unit of a gauge, given back when dropped: however the request ends (an error, a client
/// that hung up and so dropped the handler's future, a task that never ran).
pub struct Held(IntGauge);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dec();
    }
}

pub struct Metrics {
    registry: Registry,
    requests: IntCounter,
    errors: IntCounter,
    embeddings: IntCounter,
    inference: Histogram,
    queue: Histogram,
    batch: Histogram,
    in_flight: IntGauge,
    queue_depth: IntGauge,
    /// Requests waiting for a blocking thread (not registered: part of `queue_depth`).
    waiting_for_thread: IntGauge,
}

impl Metrics {
    pub fn new(framework: &str) -> Metrics {
        let opts = |name: &str, help: &str| Opts::new(name, help).const_label("framework", framework);
        let histogram = |name: &str, help: &str, buckets: &[f64]| {
            let opts = HistogramOpts::new(name, help)
                .const_label("framework", framework)
                .buckets(buckets.to_vec());
            Histogram::with_opts(opts).expect("valid histogram options")
        };
        let counter = |name: &str, help: &str| IntCounter::with_opts(opts(name, help)).expect("valid counter options");
        let gauge = |name: &str, help: &str| IntGauge::with_opts(opts(name, help)).expect("valid gauge options");
        let metrics = Metrics {
            registry: Registry::new(),
            requests: counter("embed_requests_total", "POST /embed requests answered."),
            errors: counter("embed_errors_total", "POST /embed requests answered with an error status."),
            embeddings: counter("embed_embeddings_total", "Texts embedded."),
            inference: histogram(
                "embed_inference_ms",
                "Model time per model call (tokenize + forward + pool), milliseconds.",
                &BUCKETS_MS,
            ),
            queue: histogram("embed_queue_ms", "Time a request waited before its model call started, milliseconds.", &BUCKETS_MS),
            batch: histogram("embed_batch_texts", "Texts per model call.", &BATCH_BUCKETS),
            in_flight: gauge("embed_in_flight", IN_FLIGHT_HELP),
            queue_depth: gauge("embed_queue_depth", QUEUE_DEPTH_HELP),
            waiting_for_thread: gauge("waiting_for_thread", "unregistered"),
        };
        for c in [&metrics.requests, &metrics.errors, &metrics.embeddings] {
            metrics.registry.register(Box::new(c.clone())).expect("unique metric names");
        }
        for h in [&metrics.inference, &metrics.queue, &metrics.batch] {
            metrics.registry.register(Box::new(h.clone())).expect("unique metric names");
        }
        for g in [&metrics.in_flight, &metrics.queue_depth] {
            metrics.registry.register(Box::new(g.clone())).expect("unique metric names");
        }
        metrics
    }

    /// An embedding request from its handler's start; the count goes down when the guard drops.
    pub fn in_flight(&self) -> Held {
        self.in_flight.inc();
        Held(self.in_flight.clone())
    }

    /// A request waiting for a blocking thread to start its model call; drop the guard when it starts.
    pub fn queued(&self) -> Held {
        self.waiting_for_thread.inc();
        Held(self.waiting_for_thread.clone())
    }

    pub fn observe_request(&self, ok: bool) {
        self.requests.inc();
        if !ok {
            self.errors.inc();
        }
    }

    /// One request answered with embeddings: its model call took `inference_ms` (without the
    /// wait for a session) after `queue_ms` of waiting; each request is its own model call.
    pub fn observe_embedded(&self, inference_ms: f64, queue_ms: f64, texts: usize) {
        self.embeddings.inc_by(texts as u64);
        self.inference.observe(inference_ms);
        self.queue.observe(queue_ms);
        self.batch.observe(texts as f64);
    }

    pub fn render(&self) -> String {
        let waiting = self.waiting_for_thread.get() + i64::try_from(crate::pool::waiting_in_pools()).unwrap_or(i64::MAX);
        self.queue_depth.set(waiting);
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding into memory cannot fail");
        String::from_utf8(out).expect("the text encoder writes UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, prefix: &str) -> f64 {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no sample {prefix}* in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    #[test]
    fn exposes_the_python_servers_families() {
        let m = Metrics::new("test-fw");
        m.observe_request(true);
        m.observe_request(false);
        m.observe_embedded(3.0, 0.5, 4);
        let text = m.render();
        for (name, kind) in [
            ("embed_requests_total", "counter"),
            ("embed_errors_total", "counter"),
            ("embed_embeddings_total", "counter"),
            ("embed_inference_ms", "histogram"),
            ("embed_queue_ms", "histogram"),
            ("embed_batch_texts", "histogram"),
            ("embed_in_flight", "gauge"),
            ("embed_queue_depth", "gauge"),
        ] {
            assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name} {kind} in\n{text}");
        }
        let labels = "framework=\"test-fw\"";
        assert_eq!(sample(&text, &format!("embed_requests_total{{{labels}}}")), 2.0);
        assert_eq!(sample(&text, &format!("embed_errors_total{{{labels}}}")), 1.0);
        assert_eq!(sample(&text, &format!("embed_embeddings_total{{{labels}}}")), 4.0);
        assert_eq!(sample(&text, &format!("embed_inference_ms_bucket{{{labels},le=\"2\"}}")), 0.0);
        assert_eq!(sample(&text, &format!("embed_inference_ms_bucket{{{labels},le=\"5\"}}")), 1.0);
        assert_eq!(sample(&text, &format!("embed_queue_ms_bucket{{{labels},le=\"1\"}}")), 1.0);
        assert_eq!(sample(&text, &format!("embed_batch_texts_bucket{{{labels},le=\"2\"}}")), 0.0);
        assert_eq!(sample(&text, &format!("embed_batch_texts_bucket{{{labels},le=\"4\"}}")), 1.0);
        assert_eq!(sample(&text, &format!("embed_batch_texts_bucket{{{labels},le=\"256\"}}")), 1.0);
        assert_eq!(sample(&text, &format!("embed_batch_texts_bucket{{{labels},le=\"+Inf\"}}")), 1.0);
        assert_eq!(sample(&text, &format!("embed_in_flight{{{labels}}}")), 0.0);
        assert!(text.contains(&format!("# HELP embed_in_flight {IN_FLIGHT_HELP}\n")), "{text}");
        assert!(text.contains(&format!("# HELP embed_queue_depth {QUEUE_DEPTH_HELP}\n")), "{text}");
    }

    #[test]
    fn gauges_count_what_is_held_until_it_drops() {
        let m = Metrics::new("test-fw");
        let labels = "framework=\"test-fw\"";
        let (a, b) = (m.in_flight(), m.in_flight());
        let queued = m.queued();
        let text = m.render();
        assert_eq!(sample(&text, &format!("embed_in_flight{{{labels}}}")), 2.0);
        // At least the one waiting for a thread (a pool of another test may hold waiters too).
        assert!(sample(&text, &format!("embed_queue_depth{{{labels}}}")) >= 1.0, "{text}");
        drop((a, queued));
        assert_eq!(sample(&m.render(), &format!("embed_in_flight{{{labels}}}")), 1.0);
        drop(b);
        assert_eq!(sample(&m.render(), &format!("embed_in_flight{{{labels}}}")), 0.0);
    }
}
