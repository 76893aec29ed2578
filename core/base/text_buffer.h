// Appends words and numbers to a caller's fixed buffer, the way DMEMIT does: output that
// does not fit is dropped, the buffer always stays NUL-terminated, and overflow is remembered.
#pragma once
#include "base/types.h"

namespace bc {

class TextBuffer {
public:
    TextBuffer(char* buf, usize capacity) : buf_(buf), capacity_(capacity) {
        if (capacity_)
            buf_[0] = '\0';
    }

    TextBuffer& text(const char* s) {
        while (*s)
            put(*s++);
        terminate();
        return *this;
    }

    TextBuffer& number(u64 value) {
        char digits[20];
        usize n = 0;
        do {
            digits[n++] = char('0' + value % 10);
            value /= 10;
        } while (value);
        while (n)
            put(digits[--n]);
        terminate();
        return *this;
    }

    TextBuffer& signed_number(i64 value) {
        if (value < 0)
            put('-');
        return number(value < 0 ? u64(0) - u64(value) : u64(value));
    }

    // A space before every word but the first keeps status lines one-word-per-token.
    TextBuffer& word(const char* s) { return separate().text(s); }
    TextBuffer& word(u64 value) { return separate().number(value); }

    bool overflowed() const { return overflowed_; }
    usize length() const { return length_; }

private:
    TextBuffer& separate() {
        if (length_)
            put(' ');
        return *this;
    }
    void put(char c) {
        if (length_ + 1 < capacity_)
            buf_[length_++] = c;
        else
            overflowed_ = true;
    }
    void terminate() {
        if (capacity_)
            buf_[length_] = '\0';
    }

    char* buf_;
    usize capacity_;
    usize length_ = 0;
    bool overflowed_ = false;
};

}  // namespace bc
