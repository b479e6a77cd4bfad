#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/kdf.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/hmac.h>

/// OPENSSL_free is a macro.
static inline void ccrypto_free(void *p) { OPENSSL_free(p); }

/// EVP_PKEY_PUBLIC_KEY and EVP_PKEY_KEYPAIR (EVP_PKEY_fromdata selections) are macros built from other macros,
/// which Swift does not import.
static inline int ccrypto_selection_public_key(void) { return EVP_PKEY_PUBLIC_KEY; }
static inline int ccrypto_selection_keypair(void) { return EVP_PKEY_KEYPAIR; }
#endif
