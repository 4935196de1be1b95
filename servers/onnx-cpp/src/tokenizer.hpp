// Hugging Face tokenizers (through the C ABI of tokenizers-c/, a Rust static library), so that
// every tokenizer.json works: WordPiece, BPE, Unigram, with their normalizers and post-processors.
#pragma once

#include <tokenizers_c.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tok {

/// A padded batch, row-major [rows, seq], as the model's int64 inputs take it.
struct Batch {
  std::size_t rows = 0;
  std::size_t seq = 0;
  std::vector<int64_t> input_ids, attention_mask;
  /// Real tokens (no padding), special tokens included.
  std::size_t tokens() const;
};

/// A text that is not valid UTF-8: the request's fault (400), not the server's.
struct InvalidText : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class Tokenizer {
 public:
  /// Truncates to max_length tokens and pads to the batch's longest text (pad id 0), whatever
  /// tokenizer.json says, as the Rust and Python servers do. Throws std::runtime_error when the
  /// file cannot be loaded.
  Tokenizer(const std::string& tokenizer_json_path, std::size_t max_length);
  /// Throws InvalidText for invalid UTF-8, std::runtime_error when the tokenizer fails.
  Batch encode(const std::vector<std::string>& texts) const;

 private:
  std::unique_ptr<TkTokenizer, decltype(&tk_tokenizer_free)> handle_;
};

}  // namespace tok
