// Linux headers the Glibc module does not export: extended attributes, and zlib's CRC-32 (the
// checksum S3 verifies on every multipart part).
#include <sys/xattr.h>
#include <zlib.h>
