// The model: tokenizer + ONNX Runtime sessions + pooling, shared by every request thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "ort.hpp"
#include "tokenizer.hpp"

namespace engine {

struct ServingConfig {
  std::string model_key;
  std::size_t embedding_dim = 0;
  std::size_t max_seq_length = 0;
  std::string pooling;  // mean | cls | last_token | none (the graph returns sentence vectors)
  bool normalize = true;
  bool synthetic = false;
  static ServingConfig load(const std::string& model_dir);
};

/// A request whose texts tokenise to more than MAX_BATCH_TOKENS tokens; the server answers 413
/// with what() (the same message as the Python servers').
struct TooManyTokens : std::runtime_error {
  TooManyTokens(std::size_t tokens, std::size_t max)
      : std::runtime_error("too many tokens: " + std::to_string(tokens) + " > " + std::to_string(max) +
                           " (MAX_BATCH_TOKENS)") {}
};

/// Row-major [rows, dim].
struct Embeddings {
  std::size_t rows = 0;
  std::size_t dim = 0;
  std::vector<float> data;
  /// Real tokens of the batch (no padding), special tokens included: OpenAI's usage.prompt_tokens.
  std::size_t tokens = 0;
  /// How long the call waited for a free session (its queue time).
  std::chrono::duration<double, std::milli> waited{0};
};

/// hidden: [batch, seq, dim] ([batch, dim] for pooling none); mask: [batch, seq] of 0/1. Same formulas as the Python servers.
Embeddings pool(const std::vector<float>& hidden, const std::vector<int64_t>& mask, std::size_t batch, std::size_t seq,
                std::size_t dim, const std::string& pooling, bool normalize);

/// Concurrency: WORKERS sessions of THREADS intra-op threads each. A model call takes a free session
/// for its Run and gives it back, so at most WORKERS calls run at once (as in the other servers);
/// request threads beyond that wait for one instead of oversubscribing the CPUs.
class Engine {
 public:
  /// max_batch_tokens: tokens (after truncation, special tokens included) one embed call may carry;
  /// the forward pass's memory grows with them. More throws TooManyTokens before inference.
  Engine(const std::string& model_dir, const ServingConfig& serving, int threads, int workers,
         std::size_t max_batch_tokens);
  Embeddings embed(const std::vector<std::string>& texts, bool normalize) const;
  std::string framework_version() const { return runtime_.version(); }
  std::size_t sessions() const { return sessions_.size(); }
  /// Calls waiting for a free session now (embed_queue_depth).
  std::size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }
  const tok::Tokenizer& tokenizer() const { return tokenizer_; }

 private:
  ServingConfig serving_;
  ort::Runtime runtime_;
  std::vector<std::unique_ptr<ort::Runtime::Session>> sessions_;
  tok::Tokenizer tokenizer_;
  bool token_type_ids_ = false;
  std::size_t max_batch_tokens_;
  mutable std::mutex free_mu_;
  mutable std::condition_variable free_cv_;
  mutable std::vector<const ort::Runtime::Session*> free_;
  mutable std::atomic<std::size_t> waiting_{0};
};

}  // namespace engine
