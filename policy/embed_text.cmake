# embed_text.cmake: cmake -DIN=<file> -DOUT=<file.cc> -DSYMBOL=<name> -P embed_text.cmake
# Writes a C++ source defining intransit::policy::detail::<SYMBOL>[] (the bytes of IN plus a
# NUL) and <SYMBOL>Size, so the binary carries the file and needs nothing on disk.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Break the array into lines of 16 bytes so the generated file stays readable.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE ${OUT}.tmp
"// Generated from ${IN} by embed_text.cmake. Do not edit.
#include \"policy/embedded.h\"

namespace intransit::policy::detail {

extern const unsigned char ${SYMBOL}[] = {
    ${bytes}0x00};
extern const size_t ${SYMBOL}Size = ${size};

}  // namespace intransit::policy::detail
")
# Only touch OUT when the content changed, so an unchanged policy does not trigger a rebuild.
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
