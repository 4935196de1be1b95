#include "engine.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace engine {

ServingConfig ServingConfig::load(const std::string& model_dir) {
  const std::string path = model_dir + "/serving.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + " not found: prepare the model first (npm run bench:k6 prepares it)");
  try {
    const auto j = nlohmann::json::parse(in);
    ServingConfig c;
    c.model_key = j.at("model_key").get<std::string>();
    c.embedding_dim = j.at("embedding_dim").get<std::size_t>();
    c.max_seq_length = j.at("max_seq_length").get<std::size_t>();
    c.pooling = j.at("pooling").get<std::string>();
    c.normalize = j.at("normalize").get<bool>();
    c.synthetic = j.value("synthetic", false);
    if (c.pooling != "mean" && c.pooling != "cls" && c.pooling != "last_token" && c.pooling != "none") {
      throw std::runtime_error("pooling: expected mean, cls, last_token or none, got '" + c.pooling + "'");
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

Embeddings pool(const std::vector<float>& hidden, const std::vector<int64_t>& mask, std::size_t batch, std::size_t seq,
                std::size_t dim, const std::string& pooling, bool normalize) {
  Embeddings e{batch, dim, std::vector<float>(batch * dim, 0.0f),
               static_cast<std::size_t>(std::count_if(mask.begin(), mask.end(), [](int64_t v) { return v != 0; }))};
  const bool sentences = pooling == "none";
  if (hidden.size() != batch * (sentences ? 1 : seq) * dim) {
    throw std::runtime_error("model output has " + std::to_string(hidden.size()) + " values, expected " +
                             (sentences ? "batch x dim" : "batch x seq x dim") + " for pooling " + pooling);
  }
  for (std::size_t b = 0; b < batch; ++b) {
    float* out = &e.data[b * dim];
    const int64_t* m = &mask[b * seq];
    auto token = [&](std::size_t t) { return &hidden[(b * seq + t) * dim]; };
    if (sentences) {
      std::copy_n(&hidden[b * dim], dim, out);
    } else if (pooling == "mean") {
      float count = 0.0f;
      for (std::size_t t = 0; t < seq; ++t) {
        if (m[t] == 0) continue;
        count += 1.0f;
        const float* h = token(t);
        for (std::size_t d = 0; d < dim; ++d) out[d] += h[d];
      }
      count = std::max(count, 1e-9f);
      for (std::size_t d = 0; d < dim; ++d) out[d] /= count;
    } else if (pooling == "cls") {
      std::copy_n(token(0), dim, out);
    } else {
      std::size_t used = static_cast<std::size_t>(std::count_if(m, m + seq, [](int64_t v) { return v != 0; }));
      std::copy_n(token(used > 0 ? used - 1 : 0), dim, out);
    }
    if (normalize) {
      float norm = 0.0f;
      for (std::size_t d = 0; d < dim; ++d) norm += out[d] * out[d];
      norm = std::max(std::sqrt(norm), 1e-12f);
      for (std::size_t d = 0; d < dim; ++d) out[d] /= norm;
    }
  }
  return e;
}

Engine::Engine(const std::string& model_dir, const ServingConfig& serving, int threads, int workers,
               std::size_t max_batch_tokens)
    : serving_(serving),
      tokenizer_(model_dir + "/tokenizer.json", serving.max_seq_length),
      max_batch_tokens_(max_batch_tokens) {
  const char* onnx_file = std::getenv("ONNX_FILE");
  const std::string model_path = model_dir + "/" + (onnx_file != nullptr ? onnx_file : "onnx/model.onnx");
  for (int i = 0; i < workers; ++i) {
    sessions_.push_back(std::make_unique<ort::Runtime::Session>(runtime_, model_path, threads));
    free_.push_back(sessions_.back().get());
  }
  const auto& inputs = sessions_.front()->input_names();
  token_type_ids_ = std::find(inputs.begin(), inputs.end(), "token_type_ids") != inputs.end();
}

Embeddings Engine::embed(const std::vector<std::string>& texts, bool normalize) const {
  tok::Batch encoded = tokenizer_.encode(texts);
  const std::size_t tokens = encoded.tokens();
  if (tokens > max_batch_tokens_) throw TooManyTokens(tokens, max_batch_tokens_);
  const std::size_t batch = encoded.rows, seq = encoded.seq;
  std::vector<std::pair<std::string, std::vector<int64_t>*>> feeds{{"input_ids", &encoded.input_ids},
                                                                   {"attention_mask", &encoded.attention_mask}};
  // Zeros for one text, as every other server feeds them.
  std::vector<int64_t> types;
  if (token_type_ids_) {
    types.assign(batch * seq, 0);
    feeds.emplace_back("token_type_ids", &types);
  }
  const auto asked = std::chrono::steady_clock::now();
  const ort::Runtime::Session* session = nullptr;
  {
    std::unique_lock lock(free_mu_);
    if (free_.empty()) {
      waiting_.fetch_add(1, std::memory_order_relaxed);
      free_cv_.wait(lock, [&] { return !free_.empty(); });
      waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
    session = free_.back();
    free_.pop_back();
  }
  const auto waited = std::chrono::steady_clock::now() - asked;
  // Given back however Run ends (it throws on a bad input).
  const auto give_back = [&] {
    {
      std::lock_guard lock(free_mu_);
      free_.push_back(session);
    }
    free_cv_.notify_one();
  };
  std::size_t dim = 0;
  std::vector<float> hidden;
  try {
    hidden = session->run(feeds, static_cast<int64_t>(batch), static_cast<int64_t>(seq), dim);
  } catch (...) {
    give_back();
    throw;
  }
  give_back();
  Embeddings e = pool(hidden, encoded.attention_mask, batch, seq, dim, serving_.pooling, normalize);
  e.waited = waited;
  return e;
}

}  // namespace engine
