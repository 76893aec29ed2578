// SPDX-License-Identifier: GPL-2.0
/*
 * The control: compiles on every kernel, with the flags a module's own objects get. If it
 * does not, the probes' flags are wrong and every answer could be a silent "no":
 * scripts/compat-probes stops the build instead. So it also asks for what those flags
 * must carry: MODULE (a multi-object module's objects get it from Kbuild's part-of-module)
 * and KBUILD_MODNAME as the string it is (the shell's quoting kept).
 */
#include <linux/bio.h>
#include <linux/device-mapper.h>

#ifndef MODULE
#error "the probes are compiled without -DMODULE: not the module's flags"
#endif

static const char probe_modname[] __maybe_unused = KBUILD_MODNAME;

static __maybe_unused int probe(struct bio *bio)
{
	return bio_sectors(bio);
}
