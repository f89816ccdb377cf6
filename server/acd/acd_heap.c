/* The routing core's binary heap: waiting calls, ready members, timers. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include "acd/acd_int.h"

/*
 * Storage grows only in acd_heap_reserve(), which callers run before
 * they change anything, so a push in the middle of a decision cannot
 * fail and leave the core half changed.
 */


int acd_hnode_cmp(const struct acd_hnode *a, const struct acd_hnode *b)
{
	for (int i = 0; i < 3; i++) {
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	}

	return 0;
}


int acd_heap_reserve(struct acd_heap *h, uint32_t n)
{
	struct acd_hnode **v;
	uint32_t sz;

	if (n <= h->sz)
		return 0;

	sz = h->sz ? h->sz : 8;
	while (sz < n)
		sz *= 2;

	v = mem_reallocarray(h->v, sz, sizeof(*v), NULL);
	if (!v)
		return ENOMEM;

	h->v = v;
	h->sz = sz;

	return 0;
}


static void place(struct acd_heap *h, uint32_t i, struct acd_hnode *nd)
{
	h->v[i] = nd;
	nd->idx = i + 1;
}


static void sift_up(struct acd_heap *h, uint32_t i)
{
	struct acd_hnode *nd = h->v[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (acd_hnode_cmp(h->v[p], nd) <= 0)
			break;

		place(h, i, h->v[p]);
		i = p;
	}

	place(h, i, nd);
}


static void sift_down(struct acd_heap *h, uint32_t i)
{
	struct acd_hnode *nd = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && acd_hnode_cmp(h->v[c + 1], h->v[c]) < 0)
			++c;
		if (acd_hnode_cmp(nd, h->v[c]) <= 0)
			break;

		place(h, i, h->v[c]);
		i = c;
	}

	place(h, i, nd);
}


/* The caller reserved room (acd_heap_reserve); nd is in no heap. */
void acd_heap_push(struct acd_heap *h, struct acd_hnode *nd)
{
	if (nd->idx || h->n >= h->sz)
		return;

	place(h, h->n++, nd);
	sift_up(h, h->n - 1);
}


void acd_heap_remove(struct acd_heap *h, struct acd_hnode *nd)
{
	uint32_t i;
	struct acd_hnode *last;

	if (!nd->idx || nd->idx > h->n || h->v[nd->idx - 1] != nd)
		return;

	i = nd->idx - 1;
	nd->idx = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;

	place(h, i, last);
	sift_up(h, i);
	sift_down(h, last->idx - 1);
}


/* nd's key changed: move it where it belongs. */
void acd_heap_update(struct acd_heap *h, struct acd_hnode *nd)
{
	if (!nd->idx)
		return;

	sift_up(h, nd->idx - 1);
	sift_down(h, nd->idx - 1);
}


/* Frees the storage only: at teardown the nodes may be gone already. */
void acd_heap_reset(struct acd_heap *h)
{
	h->v = mem_deref(h->v);
	h->n = h->sz = 0;
}


bool acd_heap_valid(const struct acd_heap *h)
{
	for (uint32_t i = 0; i < h->n; i++) {
		if (h->v[i]->idx != i + 1)
			return false;
		if (i && acd_hnode_cmp(h->v[(i - 1) / 2], h->v[i]) > 0)
			return false;
	}

	return true;
}
