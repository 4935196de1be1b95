//! `GET /metrics`: the Python servers' families (servers/pycommon/embedserver/metrics.py) with the
//! same names, help, types, labels and buckets, in the Prometheus text format 0.0.4 that
//! prometheus_client writes. The `prometheus` crate writes that format; `prometheus-client` would
//! write OpenMetrics, whose counter families lose the `_total` the Python servers show.
//!
//! Label: `framework`, as in the Python servers (which sum their processes, so no per-process label).

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, Opts, Registry, TextEncoder};

pub const BUCKETS_MS: [f64; 12] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0];
pub const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub struct Metrics {
    registry: Registry,
    requests: IntCounter,
    errors: IntCounter,
    embeddings: IntCounter,
    inference: Histogram,
    queue: Histogram,
    batch: Histogram,
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
        };
        for c in [&metrics.requests, &metrics.errors, &metrics.embeddings] {
            metrics.registry.register(Box::new(c.clone())).expect("unique metric names");
        }
        for h in [&metrics.inference, &metrics.queue, &metrics.batch] {
            metrics.registry.register(Box::new(h.clone())).expect("unique metric names");
        }
        metrics
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
    }
}
