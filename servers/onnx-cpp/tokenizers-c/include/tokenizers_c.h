/* C ABI of the tokenizers-c crate (src/lib.rs): Hugging Face tokenizers, truncating to the
 * model's max length and padding to the batch's longest text as the Rust and Python servers do. */
#ifndef TOKENIZERS_C_H
#define TOKENIZERS_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TK_OK = 0, TK_INVALID_UTF8 = 1, TK_ERROR = 2 };

typedef struct TkTokenizer TkTokenizer;

/* One padded batch, row-major [rows, seq]; owned by the library, released with tk_batch_free. */
typedef struct TkBatch {
  size_t rows;
  size_t seq;
  int64_t* input_ids;
  int64_t* attention_mask;
} TkBatch;

/* The tokenizer of a tokenizer.json, or NULL with *error set (free it with tk_error_free). */
TkTokenizer* tk_tokenizer_from_file(const char* path, size_t max_length, char** error);
void tk_tokenizer_free(TkTokenizer* tokenizer);

/* Encodes count texts (texts[i] of lengths[i] bytes, not NUL-terminated) into *out.
 * Returns TK_OK, or TK_INVALID_UTF8 / TK_ERROR with *error set. Safe to call from many threads. */
int tk_encode_batch(const TkTokenizer* tokenizer, const char* const* texts, const size_t* lengths, size_t count,
                    TkBatch* out, char** error);
void tk_batch_free(TkBatch* batch);
void tk_error_free(char* error);

#ifdef __cplusplus
}
#endif

#endif
