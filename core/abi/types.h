/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every part of the boundary between core/ (freestanding C++17) and its environment
 * (module/ over the kernel, userspace/ over POSIX) shares. Plain C, no kernel types.
 * Every function of the boundary that can fail returns 0 or a negative errno, and on
 * failure stores a static, human-readable message in *error (the shim hands it to
 * ti->error unchanged).
 */
#ifndef BIOCHAIN_ABI_TYPES_H
#define BIOCHAIN_ABI_TYPES_H

#include "abi/limits.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long bc_sector_t;

#define BC_SECTOR_SHIFT 9
/* enough for every status line core/ emits: a 16-leg mirror's INFO line with every counter
 * at its largest is about 2500 bytes (tests/unit/test_target.cpp checks the bound) */
#define BC_STATUS_MAX 4096

/* errno values core/ returns (the same numbers on Linux and in userspace) */
#define BC_EIO 5
#define BC_EAGAIN 11
#define BC_EOPNOTSUPP 95
#define BC_EINVAL 22
#define BC_ENOMEM 12

/* What the shim tells core/ about the kernel's structures, measured at build time. */
struct bc_bio_shape {
	unsigned int bio_size;	  /* sizeof(struct bio) */
	unsigned int bvec_size;	  /* sizeof(struct bio_vec) */
	unsigned int inline_vecs; /* BIO_INLINE_VECS */
};

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_TYPES_H */
