#include "tokenizer.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tok {
namespace {

using nlohmann::json;

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // invalid byte: U+FFFD, which clean_text then drops, like a lossy decode
      cp = 0xFFFD;
      n = 1;
    }
    out.push_back(static_cast<char32_t>(cp));
    p += n;
    left -= n;
  }
  return out;
}

std::string encode_utf8(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  utf8proc_uint8_t buf[4];
  for (char32_t c : s) {
    utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  }
  return out;
}

utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

// Rust's char::is_whitespace (the Unicode White_Space property).
bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// tokenizers' is_control: Unicode "Other" (Cc, Cf, Cs, Co, Cn) except tab, newline, carriage return.
bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
      return true;
    default:
      return false;
  }
}

// BertPreTokenizer's is_bert_punc: ASCII punctuation or Unicode P*.
bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  switch (category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

const json& field(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) throw std::runtime_error(where + ": missing field '" + key + "'");
  return obj.at(key);
}

void expect_type(const json& obj, const std::string& where, const char* type) {
  std::string actual = obj.is_object() && obj.contains("type") ? obj["type"].get<std::string>() : "none";
  if (actual != type) {
    throw std::runtime_error(where + ".type: '" + actual + "' is not supported by the C++ tokenizer (expected '" + type + "')");
  }
}

int64_t special_id(const json& post, const std::string& name, const std::string& where) {
  const json& tokens = field(post, "special_tokens", where);
  const json& ids = field(field(tokens, name.c_str(), where + ".special_tokens"), "ids", where + ".special_tokens." + name);
  return ids.at(0).get<int64_t>();
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(const std::string& path, std::size_t max_length) : max_length_(max_length) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  const json& normalizer = field(doc, "normalizer", path);
  expect_type(normalizer, path + ": normalizer", "BertNormalizer");
  clean_text_ = normalizer.value("clean_text", true);
  chinese_chars_ = normalizer.value("handle_chinese_chars", true);
  lowercase_ = normalizer.value("lowercase", true);
  const json& strip = normalizer.contains("strip_accents") ? normalizer["strip_accents"] : json();
  strip_accents_ = strip.is_null() ? lowercase_ : strip.get<bool>();
  expect_type(field(doc, "pre_tokenizer", path), path + ": pre_tokenizer", "BertPreTokenizer");
  const json& model = field(doc, "model", path);
  expect_type(model, path + ": model", "WordPiece");
  max_chars_per_word_ = model.value("max_input_chars_per_word", std::size_t{100});
  prefix_ = model.value("continuing_subword_prefix", std::string("##"));
  for (const auto& [token, id] : field(model, "vocab", path + ": model").items()) vocab_.emplace(token, id.get<int64_t>());
  const std::string unk = model.value("unk_token", std::string("[UNK]"));
  auto found = vocab_.find(unk);
  if (found == vocab_.end()) throw std::runtime_error(path + ": model.unk_token '" + unk + "' is not in the vocabulary");
  unk_ = found->second;
  if (doc.contains("added_tokens")) {
    for (const json& t : doc["added_tokens"]) added_.emplace_back(t.at("content").get<std::string>(), t.at("id").get<int64_t>());
  }
  std::sort(added_.begin(), added_.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  const json& post = field(doc, "post_processor", path);
  const std::string post_type = post.value("type", std::string("none"));
  if (post_type == "TemplateProcessing") {
    cls_ = special_id(post, "[CLS]", path + ": post_processor");
    sep_ = special_id(post, "[SEP]", path + ": post_processor");
  } else if (post_type == "BertProcessing") {
    cls_ = field(post, "cls", path + ": post_processor").at(1).get<int64_t>();
    sep_ = field(post, "sep", path + ": post_processor").at(1).get<int64_t>();
  } else {
    throw std::runtime_error(path + ": post_processor.type: '" + post_type +
                             "' is not supported by the C++ tokenizer (expected TemplateProcessing or BertProcessing)");
  }
  if (max_length_ < 2) throw std::runtime_error("max_seq_length must leave room for [CLS] and [SEP]");
}

std::vector<int64_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  // Added (special) tokens are matched on the raw text first, as tokenizers' AddedVocabulary does.
  // Each token's next occurrence is remembered and searched again only once the text before it
  // has been consumed: searching every token afresh after each match rescans the rest of the text
  // for the tokens that do not occur there, quadratic in a text made of special tokens.
  std::vector<std::size_t> next;
  next.reserve(added_.size());
  for (const auto& token : added_) next.push_back(text.find(token.first));
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t best = std::string_view::npos;
    const std::pair<std::string, int64_t>* match = nullptr;
    for (std::size_t i = 0; i < added_.size(); ++i) {
      if (next[i] != std::string_view::npos && next[i] < start) next[i] = text.find(added_[i].first, start);
      const std::size_t at = next[i];
      if (at != std::string_view::npos && (best == std::string_view::npos || at < best)) {
        best = at;
        match = &added_[i];
      }
    }
    if (match == nullptr) {
      encode_segment(text.substr(start), ids);
      break;
    }
    encode_segment(text.substr(start, best - start), ids);
    ids.push_back(match->second);
    start = best + match->first.size();
  }
  if (ids.size() > max_length_ - 2) ids.resize(max_length_ - 2);
  ids.insert(ids.begin(), cls_);
  ids.push_back(sep_);
  return ids;
}

void WordPieceTokenizer::encode_segment(std::string_view text, std::vector<int64_t>& out) const {
  // BertNormalizer: clean_text, handle_chinese_chars, strip_accents (NFD, drop Mn), lowercase.
  std::u32string cleaned;
  for (char32_t c : decode(text)) {
    if (clean_text_) {
      if (c == 0 || c == 0xFFFD || is_control(c)) continue;
      if (is_whitespace(c)) c = U' ';
    }
    if (chinese_chars_ && is_chinese(c)) {
      cleaned += U' ';
      cleaned += c;
      cleaned += U' ';
    } else {
      cleaned += c;
    }
  }
  std::u32string normalized;
  if (strip_accents_) {
    const std::string utf8 = encode_utf8(cleaned);
    utf8proc_uint8_t* nfd = utf8proc_NFD(reinterpret_cast<const utf8proc_uint8_t*>(utf8.c_str()));
    if (nfd == nullptr) throw std::runtime_error("NFD normalisation failed");
    for (char32_t c : decode(reinterpret_cast<const char*>(nfd))) {
      if (category(c) != UTF8PROC_CATEGORY_MN) normalized += c;
    }
    std::free(nfd);
  } else {
    normalized = std::move(cleaned);
  }
  if (lowercase_) {
    std::u32string lower;
    lower.reserve(normalized.size());
    for (char32_t c : normalized) {
      if (c == 0x130) {  // the one unconditional multi-character lowercase mapping (SpecialCasing)
        lower += U'i';
        lower += char32_t{0x307};
      } else {
        lower += static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
      }
    }
    normalized = std::move(lower);
  }
  // BertPreTokenizer: split on whitespace (dropped) and punctuation (kept as single-char words).
  std::u32string word;
  auto flush = [&] {
    if (!word.empty()) word_piece(word, out);
    word.clear();
  };
  for (char32_t c : normalized) {
    if (is_whitespace(c)) {
      flush();
    } else if (is_punctuation(c)) {
      flush();
      word = c;
      flush();
    } else {
      word += c;
    }
  }
  flush();
}

void WordPieceTokenizer::word_piece(const std::u32string& word, std::vector<int64_t>& out) const {
  if (word.size() > max_chars_per_word_) {
    out.push_back(unk_);
    return;
  }
  std::vector<int64_t> pieces;
  std::size_t start = 0;
  while (start < word.size()) {
    std::size_t end = word.size();
    int64_t found = -1;
    while (start < end) {
      std::string piece = encode_utf8(word.substr(start, end - start));
      if (start > 0) piece = prefix_ + piece;
      auto it = vocab_.find(piece);
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
      --end;
    }
    if (found < 0) {
      out.push_back(unk_);
      return;
    }
    pieces.push_back(found);
    start = end;
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

}  // namespace tok
