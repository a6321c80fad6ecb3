// Linux headers the Glibc module does not export: extended attributes, syncfs, and zlib's
// CRC-32 (the checksum S3 verifies on every multipart part).
#include <sys/xattr.h>
#include <unistd.h>
int syncfs(int fd);
#include <zlib.h>
