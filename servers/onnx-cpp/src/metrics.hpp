// GET /metrics: the Python servers' families (servers/pycommon/embedserver/metrics.py) with the
// same names, help, types, labels and buckets, in the Prometheus text format 0.0.4 that
// prometheus_client writes; prometheus-cpp (Debian's prometheus-cpp-dev) keeps and writes them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <memory>
#include <string>

namespace metrics {

/// Content type of Metrics::render().
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Label: framework, as in the Python servers (which sum their processes). Thread-safe: every
/// series is prometheus-cpp's own atomic.
///
/// Gauges: embed_in_flight, the embedding requests whose handler runs now (InFlight); and
/// embed_queue_depth, the requests waiting for a free session (their embed_queue_ms), set from the
/// engine before each render.
class Metrics {
 public:
  /// Counts one request in embed_in_flight from its construction to its destruction.
  class InFlight {
   public:
    explicit InFlight(Metrics& m) : gauge_(m.in_flight_) { gauge_.Increment(); }
    ~InFlight() { gauge_.Decrement(); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    prometheus::Gauge& gauge_;
  };

  explicit Metrics(const std::string& framework);
  void observe_request(bool ok);
  void set_queue_depth(std::size_t waiting);
  /// One request answered with embeddings; each request is its own model call.
  void observe_embedded(double inference_ms, double queue_ms, std::size_t texts);
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& requests_;
  prometheus::Counter& errors_;
  prometheus::Counter& embeddings_;
  prometheus::Histogram& inference_;
  prometheus::Histogram& queue_;
  prometheus::Histogram& batch_;
  prometheus::Gauge& in_flight_;
  prometheus::Gauge& queue_depth_;
};

}  // namespace metrics
