// SPDX-License-Identifier: GPL-2.0
/* After 6.12 (7.x has it, and Debian's 6.12.117 a backport): WQ_PERCPU, and alloc_workqueue() warns when a caller names
 * neither it nor WQ_UNBOUND (the default is moving from per-CPU to unbound). */
#include <linux/workqueue.h>

static __maybe_unused unsigned int probe(void)
{
	return WQ_PERCPU;
}
