// The part of libxml2 virt-exporter uses: parsing a document from memory and walking its tree.
#ifndef CLIBXML2_H
#define CLIBXML2_H

#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, and its encoding header then includes ICU's headers, which clash
// with the ICU that Foundation brings into the same Swift module. virt-exporter never touches an
// encoding handler (the only struct whose layout depends on this), so ICU stays out of sight.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>

#endif
