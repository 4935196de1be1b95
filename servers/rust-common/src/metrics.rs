//! Prometheus text exposition with the same names, help and buckets as the Python servers.

use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS_MS: [f64; 12] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0];

#[derive(Default)]
struct Counts {
    requests: u64,
    errors: u64,
    embeddings: u64,
    buckets: [u64; BUCKETS_MS.len()],
    inference_count: u64,
    inference_sum_ms: f64,
}

/// A short critical section per request; never held across inference.
pub struct Metrics {
    framework: String,
    counts: Mutex<Counts>,
}

impl Metrics {
    pub fn new(framework: &str) -> Metrics {
        Metrics { framework: framework.to_string(), counts: Mutex::new(Counts::default()) }
    }

    pub fn observe_request(&self, ok: bool) {
        let mut c = self.counts.lock().expect("metrics lock");
        c.requests += 1;
        if !ok {
            c.errors += 1;
        }
    }

    pub fn observe_inference(&self, ms: f64, texts: usize) {
        let mut c = self.counts.lock().expect("metrics lock");
        c.embeddings += texts as u64;
        c.inference_count += 1;
        c.inference_sum_ms += ms;
        for (count, bound) in c.buckets.iter_mut().zip(BUCKETS_MS) {
            if ms <= bound {
                *count += 1;
            }
        }
    }

    pub fn render(&self) -> String {
        let label = format!("framework=\"{}\"", self.framework);
        let c = self.counts.lock().expect("metrics lock");
        let mut out = String::new();
        let _ = writeln!(out, "# HELP embed_requests_total POST /embed requests answered.");
        let _ = writeln!(out, "# TYPE embed_requests_total counter");
        let _ = writeln!(out, "embed_requests_total{{{label}}} {}", c.requests);
        let _ = writeln!(out, "# HELP embed_errors_total POST /embed requests answered with an error status.");
        let _ = writeln!(out, "# TYPE embed_errors_total counter");
        let _ = writeln!(out, "embed_errors_total{{{label}}} {}", c.errors);
        let _ = writeln!(out, "# HELP embed_embeddings_total Texts embedded.");
        let _ = writeln!(out, "# TYPE embed_embeddings_total counter");
        let _ = writeln!(out, "embed_embeddings_total{{{label}}} {}", c.embeddings);
        let _ = writeln!(
            out,
            "# HELP embed_inference_ms Model inference time per request (tokenize + forward + pool), milliseconds."
        );
        let _ = writeln!(out, "# TYPE embed_inference_ms histogram");
        for (bound, count) in BUCKETS_MS.iter().zip(c.buckets) {
            let _ = writeln!(out, "embed_inference_ms_bucket{{{label},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "embed_inference_ms_bucket{{{label},le=\"+Inf\"}} {}", c.inference_count);
        let _ = writeln!(out, "embed_inference_ms_sum{{{label}}} {}", c.inference_sum_ms);
        let _ = writeln!(out, "embed_inference_ms_count{{{label}}} {}", c.inference_count);
        out
    }
}
