// The module-wide graph of biochain tables and their legs (abi/device_graph.h): one node
// per table, in a list under the configuration lock, searched when a table is added.
#include "abi/device_graph.h"

#include "abi/limits.h"
#include "base/memory.h"
#include "base/result.h"
#include "base/sync.h"

struct bc_device_node {
    bc_device_node* prev;
    bc_device_node* next;
    unsigned long long self;
    unsigned nr_legs;
    unsigned long long legs[BC_MAX_LEGS + 1];  // and a mirror's log device after them
    // Search marks, valid under the lock during one search: self is reachable from the
    // new table's legs, and its legs have been looked at.
    bool reached;
    bool expanded;
};

namespace bc {
namespace {

BC_CONSTINIT ConfigLock g_graph_lock;
BC_CONSTINIT bc_device_node* g_nodes BC_GUARDED_BY(g_graph_lock) = nullptr;

// Marks every table of device as reached.
void reach(unsigned long long device) BC_REQUIRES(g_graph_lock) {
    for (bc_device_node* node = g_nodes; node; node = node->next)
        if (node->self == device)
            node->reached = true;
}

// Whether self is reachable from legs through the registered tables: the devices reached
// grow from the legs, each table of a reached device adding its own legs, until self is
// met or a pass expands no table. Each table is expanded once, so the search ends however
// the tables are shared (a diamond) and whatever cycles the graph already holds.
bool leads_to(unsigned long long self, const unsigned long long* legs, unsigned nr_legs)
    BC_REQUIRES(g_graph_lock) {
    for (bc_device_node* node = g_nodes; node; node = node->next)
        node->reached = node->expanded = false;
    for (unsigned i = 0; i < nr_legs; ++i)
        reach(legs[i]);
    for (bool expanded_one = true; expanded_one;) {
        expanded_one = false;
        for (bc_device_node* node = g_nodes; node; node = node->next) {
            if (!node->reached || node->expanded)
                continue;
            node->expanded = expanded_one = true;
            for (unsigned i = 0; i < node->nr_legs; ++i) {
                if (node->legs[i] == self)
                    return true;
                reach(node->legs[i]);
            }
        }
    }
    return false;
}

Result<bc_device_node*> add(unsigned long long self, const unsigned long long* legs, unsigned nr_legs) {
    // Checked before anything is allocated: the common refusal costs nothing.
    if (nr_legs > BC_MAX_LEGS + 1)
        return invalid("Too many lower devices");
    for (unsigned i = 0; i < nr_legs; ++i)
        if (legs[i] == self)
            return invalid("Device cannot be a leg of itself");
    bc_device_node* node = make<bc_device_node>();
    if (!node)
        return out_of_memory("Cannot allocate the device graph node");
    node->self = self;
    node->nr_legs = nr_legs;
    for (unsigned i = 0; i < nr_legs; ++i)
        node->legs[i] = legs[i];
    // Searched and added under one hold of the lock: two tables that close a cycle
    // between them cannot both pass.
    ConfigGuard guard(g_graph_lock);
    if (leads_to(self, legs, nr_legs)) {
        destroy(node);
        return invalid("Leg forms a cycle through another biochain device");
    }
    node->next = g_nodes;
    if (g_nodes)
        g_nodes->prev = node;
    g_nodes = node;
    return node;
}

void remove(bc_device_node* node) {
    if (!node)
        return;
    {
        ConfigGuard guard(g_graph_lock);
        if (node->prev)
            node->prev->next = node->next;
        else
            g_nodes = node->next;
        if (node->next)
            node->next->prev = node->prev;
    }
    destroy(node);
}

}  // namespace
}  // namespace bc

extern "C" int bc_device_graph_add(unsigned long long self, const unsigned long long* legs, unsigned int nr_legs,
                                   bc_device_node** node, const char** error) {
    if (nr_legs > BC_MAX_LEGS) {
        *node = nullptr;
        return bc::to_abi(bc::Result<bc_device_node*>(bc::invalid("Too many legs")), error);
    }
    const bc::Result<bc_device_node*> added = bc::add(self, legs, nr_legs);
    *node = added.ok() ? added.value() : nullptr;
    return bc::to_abi(added, error);
}

extern "C" void bc_device_graph_remove(bc_device_node* node) { bc::remove(node); }
