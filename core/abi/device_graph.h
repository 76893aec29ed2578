/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which devices the tables of biochain devices use as legs, module-wide, so that a table
 * that would make a device a leg of itself is refused before it is built: directly (its
 * own number among its legs), or through other biochain devices (a leg that is a
 * biochain device whose legs lead back to it). Either would send the device's I/O round
 * in a loop for ever. Only biochain tables are nodes: a cycle through another kind of
 * device (a dm-linear over a biochain device, made a leg of it) is not seen. Devices are
 * dev_t numbers, as in struct bc_leg_geometry.
 */
#ifndef BIOCHAIN_ABI_DEVICE_GRAPH_H
#define BIOCHAIN_ABI_DEVICE_GRAPH_H

#include "abi/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bc_device_node;

/*
 * Registers one table of device self over legs (at most BC_MAX_LEGS, and a mirror's log
 * device after them: its I/O is the table's too), unless a leg is self ("Device cannot be
 * a leg of itself") or leads to self through the registered tables ("Leg forms a cycle
 * through another biochain device"); both -EINVAL. Every table counts, live or only
 * loaded: a device being reloaded keeps its old table registered until that table's
 * bc_device_graph_remove, so the edges of both stand while both exist. 0 and *node, or a
 * negative errno and *error. Process context (takes the configuration lock, allocates).
 */
int bc_device_graph_add(unsigned long long self, const unsigned long long *legs,
			unsigned int nr_legs, struct bc_device_node **node, const char **error);
/* When the table goes (its destructor); NULL is allowed. */
void bc_device_graph_remove(struct bc_device_node *node);

#ifdef __cplusplus
}
#endif

#endif /* BIOCHAIN_ABI_DEVICE_GRAPH_H */
