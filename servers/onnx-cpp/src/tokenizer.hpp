// BERT WordPiece tokenizer read from a HF tokenizer.json (BertNormalizer + BertPreTokenizer +
// WordPiece + [CLS] A [SEP]). No C++ port of HF tokenizers exists here, so this follows the Rust
// implementation step by step; tests/e2e/native.test.ts checks it against the `tokenizers` package.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tok {

class WordPieceTokenizer {
 public:
  /// Throws std::runtime_error naming the field when tokenizer.json is not a BERT WordPiece one.
  WordPieceTokenizer(const std::string& tokenizer_json_path, std::size_t max_length);
  /// Token ids of one text with [CLS]/[SEP], truncated to max_length tokens.
  std::vector<int64_t> encode(std::string_view text) const;

 private:
  void encode_segment(std::string_view text, std::vector<int64_t>& out) const;
  void word_piece(const std::u32string& word, std::vector<int64_t>& out) const;

  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::pair<std::string, int64_t>> added_;  // matched on the raw text, longest first
  std::size_t max_length_;
  std::size_t max_chars_per_word_ = 100;
  std::string prefix_ = "##";
  int64_t unk_ = 0, cls_ = 0, sep_ = 0;
  bool clean_text_ = true, chinese_chars_ = true, strip_accents_ = true, lowercase_ = true;
};

}  // namespace tok
