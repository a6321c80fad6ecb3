// cmark-gfm (GitHub-flavoured markdown) from Debian's libcmark-gfm-dev: the parser and its
// core extensions (tables, strikethrough, autolinks, tag filter, task lists).
#include <cmark-gfm/cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
