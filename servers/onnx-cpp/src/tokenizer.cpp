#include "tokenizer.hpp"

#include <algorithm>

namespace tok {
namespace {

/// The library's error message, freed once read.
std::string take_error(char* error) {
  const std::unique_ptr<char, decltype(&tk_error_free)> owned(error, tk_error_free);
  return owned ? std::string(owned.get()) : std::string("unknown tokenizer error");
}

}  // namespace

std::size_t Batch::tokens() const {
  return static_cast<std::size_t>(std::count_if(attention_mask.begin(), attention_mask.end(), [](int64_t m) { return m != 0; }));
}

Tokenizer::Tokenizer(const std::string& path, std::size_t max_length) : handle_(nullptr, tk_tokenizer_free) {
  char* error = nullptr;
  handle_.reset(tk_tokenizer_from_file(path.c_str(), max_length, &error));
  if (!handle_) throw std::runtime_error(take_error(error));
}

Batch Tokenizer::encode(const std::vector<std::string>& texts) const {
  std::vector<const char*> data;
  std::vector<std::size_t> lengths;
  data.reserve(texts.size());
  lengths.reserve(texts.size());
  for (const auto& t : texts) {
    data.push_back(t.data());
    lengths.push_back(t.size());
  }
  TkBatch raw{};
  char* error = nullptr;
  const int status = tk_encode_batch(handle_.get(), data.data(), lengths.data(), texts.size(), &raw, &error);
  if (status == TK_INVALID_UTF8) throw InvalidText(take_error(error));
  if (status != TK_OK) throw std::runtime_error(take_error(error));
  const std::unique_ptr<TkBatch, decltype(&tk_batch_free)> owned(&raw, tk_batch_free);
  const std::size_t n = raw.rows * raw.seq;
  Batch b{raw.rows, raw.seq, std::vector<int64_t>(raw.input_ids, raw.input_ids + n),
          std::vector<int64_t>(raw.attention_mask, raw.attention_mask + n)};
  return b;
}

}  // namespace tok
