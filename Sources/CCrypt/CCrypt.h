// libxcrypt as virt-exporter sees it: crypt_rn verifies bcrypt password hashes.
#ifndef CCRYPT_H
#define CCRYPT_H

#include <crypt.h>

#endif
