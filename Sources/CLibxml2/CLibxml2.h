// The part of libxml2 virt-exporter uses: parsing a document from memory and XPath queries.
#ifndef CLIBXML2_H
#define CLIBXML2_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#endif
