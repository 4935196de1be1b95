//! A C ABI over Hugging Face `tokenizers` for the onnx-cpp server (declared in
//! include/tokenizers_c.h). The tokenizer is set up as servers/rust-common/src/text.rs sets it up
//! (truncation to the model's max length, padding to the batch's longest text), so onnx-cpp feeds
//! its model the same ids and masks as the Rust and Python servers. Type ids are not passed: every
//! server feeds zeros for one text.

use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

pub const TK_OK: c_int = 0;
pub const TK_INVALID_UTF8: c_int = 1;
pub const TK_ERROR: c_int = 2;

/// Opaque to C.
pub struct TkTokenizer(Tokenizer);

/// One padded batch, row-major `[rows, seq]`; owned by Rust, released with `tk_batch_free`.
#[repr(C)]
pub struct TkBatch {
    pub rows: usize,
    pub seq: usize,
    pub input_ids: *mut i64,
    pub attention_mask: *mut i64,
}

/// Writes `message` to `*error` (when not null) for C to read and free with `tk_error_free`.
unsafe fn set_error(error: *mut *mut c_char, message: String) {
    if !error.is_null() {
        // An interior NUL cannot be sent as a C string: it is shown as U+FFFD instead.
        let message = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
        *error = message.into_raw();
    }
}

fn load(path: &str, max_length: usize) -> Result<Tokenizer, String> {
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| format!("{path}: {e}"))?;
    // Truncation and padding override whatever tokenizer.json says, as the other servers do.
    tokenizer
        .with_truncation(Some(TruncationParams { max_length, ..Default::default() }))
        .map_err(|e| format!("{path}: truncation: {e}"))?;
    tokenizer.with_padding(Some(PaddingParams::default()));
    Ok(tokenizer)
}

/// The tokenizer of a tokenizer.json, or null with `*error` set.
///
/// # Safety
/// `path` is a NUL-terminated string; `error` is null or points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn tk_tokenizer_from_file(path: *const c_char, max_length: usize, error: *mut *mut c_char) -> *mut TkTokenizer {
    let path = match CStr::from_ptr(path).to_str() {
        Ok(p) => p.to_owned(),
        Err(_) => {
            set_error(error, "tokenizer path is not valid UTF-8".into());
            return ptr::null_mut();
        }
    };
    match catch_unwind(|| load(&path, max_length)) {
        Ok(Ok(t)) => Box::into_raw(Box::new(TkTokenizer(t))),
        Ok(Err(message)) => {
            set_error(error, message);
            ptr::null_mut()
        }
        Err(_) => {
            set_error(error, format!("{path}: the tokenizer panicked while loading"));
            ptr::null_mut()
        }
    }
}

/// # Safety
/// `tokenizer` is null or came from `tk_tokenizer_from_file` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tk_tokenizer_free(tokenizer: *mut TkTokenizer) {
    if !tokenizer.is_null() {
        drop(Box::from_raw(tokenizer));
    }
}

fn into_raw(values: Vec<i64>) -> *mut i64 {
    Box::into_raw(values.into_boxed_slice()).cast::<i64>()
}

/// Texts as `&str`; the index and position of the first invalid UTF-8 byte otherwise.
fn texts_of<'a>(raw: &[&'a [u8]]) -> Result<Vec<&'a str>, String> {
    raw.iter()
        .enumerate()
        .map(|(i, bytes)| std::str::from_utf8(bytes).map_err(|e| format!("text {i} is not valid UTF-8 (byte {})", e.valid_up_to())))
        .collect()
}

fn encode(tokenizer: &Tokenizer, texts: Vec<&str>) -> Result<TkBatch, String> {
    let encodings = tokenizer.encode_batch(texts, true).map_err(|e| format!("tokenizer: {e}"))?;
    let rows = encodings.len();
    let seq = encodings.first().map_or(0, |e| e.get_ids().len());
    let (mut ids, mut mask) = (Vec::with_capacity(rows * seq), Vec::with_capacity(rows * seq));
    for e in &encodings {
        ids.extend(e.get_ids().iter().map(|&v| i64::from(v)));
        mask.extend(e.get_attention_mask().iter().map(|&v| i64::from(v)));
    }
    Ok(TkBatch { rows, seq, input_ids: into_raw(ids), attention_mask: into_raw(mask) })
}

/// Encodes `count` texts (`texts[i]`, `lengths[i]` bytes each, not NUL-terminated) as one padded
/// batch into `*out`. Returns TK_OK, TK_INVALID_UTF8 or TK_ERROR (with `*error` set).
///
/// # Safety
/// `tokenizer` came from `tk_tokenizer_from_file`; `texts` and `lengths` hold `count` entries,
/// each text readable for its length; `out` is writable; `error` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn tk_encode_batch(
    tokenizer: *const TkTokenizer,
    texts: *const *const c_char,
    lengths: *const usize,
    count: usize,
    out: *mut TkBatch,
    error: *mut *mut c_char,
) -> c_int {
    let raw: Vec<&[u8]> = (0..count)
        .map(|i| match *lengths.add(i) {
            0 => &[][..],
            n => std::slice::from_raw_parts((*texts.add(i)).cast::<u8>(), n),
        })
        .collect();
    let texts = match texts_of(&raw) {
        Ok(t) => t,
        Err(message) => {
            set_error(error, message);
            return TK_INVALID_UTF8;
        }
    };
    let tokenizer = &(*tokenizer).0;
    match catch_unwind(AssertUnwindSafe(|| encode(tokenizer, texts))) {
        Ok(Ok(batch)) => {
            *out = batch;
            TK_OK
        }
        Ok(Err(message)) => {
            set_error(error, message);
            TK_ERROR
        }
        Err(_) => {
            set_error(error, "the tokenizer panicked".into());
            TK_ERROR
        }
    }
}

unsafe fn free_values(values: *mut i64, len: usize) {
    if !values.is_null() {
        drop(Box::from_raw(ptr::slice_from_raw_parts_mut(values, len)));
    }
}

/// # Safety
/// `batch` was filled by `tk_encode_batch` and is not freed twice (its pointers are nulled).
#[no_mangle]
pub unsafe extern "C" fn tk_batch_free(batch: *mut TkBatch) {
    let b = &mut *batch;
    let len = b.rows * b.seq;
    free_values(b.input_ids, len);
    free_values(b.attention_mask, len);
    *b = TkBatch { rows: 0, seq: 0, input_ids: ptr::null_mut(), attention_mask: ptr::null_mut() };
}

/// # Safety
/// `error` is null or was set by this library, and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tk_error_free(error: *mut c_char) {
    if !error.is_null() {
        drop(CString::from_raw(error));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_the_text_and_byte() {
        let good: &[u8] = b"ok";
        let bad: &[u8] = b"ab\xff";
        assert_eq!(texts_of(&[good, bad]).unwrap_err(), "text 1 is not valid UTF-8 (byte 2)");
        assert_eq!(texts_of(&[good]).unwrap(), vec!["ok"]);
    }
}
