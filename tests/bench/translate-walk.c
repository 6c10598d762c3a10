/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The translation benchmark (translate.c), the walks: one stage per table
 * format against a pointer chase, and each model's nested walk.
 */
#include "translate.h"

/* ---- walks ---- */

/*
 * @samples walks of random addresses of [0, space), each address depending
 * on the previous walk's result (oa >> 63 is 0, but the CPU must wait for
 * it), so that walks do not overlap and the figure is a latency.
 */
static void run_walks(const struct sim_pt_walker *w, uint64_t root, uint64_t space,
		      uint64_t samples, uint64_t *state)
{
	struct sim_pt_result r;
	uint64_t x = *state, i;

	for (i = 0; i < samples; i++) {
		uint64_t va;

		x = xorshift(x);
		va = (x % space) & ~UINT64_C(7);
		if (__builtin_expect(sim_pt_walk(w, root, va, SIM_PT_R, &r) != 0, 0))
			tr_die("walk", -EFAULT);
		x += r.oa >> 63;
	}
	*state = x;
}

/* The same chain of random starts, each followed by 4 dependent loads. */
static void run_chase(const uint64_t *mem, uint64_t lines, uint64_t samples, uint64_t *state)
{
	uint64_t x = *state, i;

	for (i = 0; i < samples; i++) {
		uint64_t p;

		x = xorshift(x);
		p = x % lines;
		p = mem[p * 8];
		p = mem[p * 8];
		p = mem[p * 8];
		p = mem[p * 8];
		x += p >> 63;
	}
	*state = x;
}

void tr_bench_walk(enum sim_pt_format fmt, uint64_t space, unsigned int rounds, uint64_t samples,
		   struct walk_fig *fig)
{
	struct sim_pt *pt = sim_pt_new(fmt, 4, K4 | M2 | G1);
	double *walk_ns = &fig->walk_ns, *chase_ns = &fig->chase_ns;
	unsigned int *reads = &fig->reads;
	size_t *table_bytes = &fig->table_bytes;
	struct sim_pt_walker w;
	struct sim_pt_result r;
	uint64_t lines, i, *mem, xw = 0x3c6ef372fe94f82bULL, xc = xw;
	int ret;

	if (!pt)
		tr_die("sim_pt_new", -errno);
	/* oa = iova + 1T + 4K: never 2M-congruent, so every leaf is a 4 KiB one */
	ret = sim_pt_map(pt, 0, (UINT64_C(1) << 40) + K4, space, SIM_PT_R | SIM_PT_W);
	if (ret)
		tr_die("sim_pt_map", ret);
	sim_pt_walker_init(&w, pt);
	if (sim_pt_walk(&w, sim_pt_root(pt), space - 1, 0, &r) || r.page_size != K4)
		tr_die("not a 4 KiB leaf", -EINVAL);
	*reads = r.reads;
	*table_bytes = sim_pt_table_pages(pt) * SIM_PT_TABLE_SIZE;

	/* a random cyclic permutation (Sattolo) of cache lines, same bytes */
	lines = *table_bytes / 64;
	mem = tr_xaligned(4096, lines * 64);
	for (i = 0; i < lines; i++)
		mem[i * 8] = i;
	for (i = lines - 1; i > 0; i--) {
		uint64_t j = rnd() % i, tmp = mem[i * 8];

		mem[i * 8] = mem[j * 8];
		mem[j * 8] = tmp;
	}

	/* a warm-up of each, then the timed rounds */
	run_walks(&w, sim_pt_root(pt), space, samples, &xw);
	run_chase(mem, lines, samples, &xc);
	BEST_OF(*walk_ns, rounds, samples, run_walks(&w, sim_pt_root(pt), space, samples, &xw));
	BEST_OF(*chase_ns, rounds, samples, run_chase(mem, lines, samples, &xc));
	if (xw != xc)
		tr_die("the walk and the chase drew different addresses", -EINVAL);
	free(mem);
	sim_pt_free(pt);
}

/* ---- nested walk ---- */

struct nested {
	uint8_t *ram;            /* host memory behind GPA [0, ram_size) */
	uint64_t ram_size, next; /* bump allocator of guest table pages */
	struct sim_pt *s2;
	struct sim_pt_walker s2w;
	uint64_t s2root;
	uint64_t reads;
};

static uint64_t guest_page(struct nested *n)
{
	uint64_t gpa = n->next;

	if (gpa + K4 > n->ram_size)
		tr_die("guest RAM too small", -ENOMEM);
	n->next += K4;
	return gpa;
}

static void guest_put(struct nested *n, uint64_t table, unsigned int idx, uint64_t v)
{
	uint64_t le = htole64(v);

	memcpy(n->ram + table + idx * 8, &le, 8);
}

static uint64_t guest_get(struct nested *n, uint64_t table, unsigned int idx)
{
	uint64_t le;

	memcpy(&le, n->ram + table + idx * 8, 8);
	return le64toh(le);
}

/* Stage-1 table reads: the table's guest-physical address through stage 2. */
static int nested_read(void *opaque, uint64_t table, unsigned int index, uint64_t *entry)
{
	struct nested *n = opaque;
	struct sim_pt_result r;
	int ret = sim_pt_walk(&n->s2w, n->s2root, table + index * 8, SIM_PT_R, &r);

	if (ret)
		return ret;
	n->reads += r.reads;
	*entry = le64toh(*(const uint64_t *)(uintptr_t)r.oa);
	return 0;
}

const struct nest_model nest_models[NR_NEST_MODELS] = {
	/* VT-d first stage (IA-32e) over the second stage */
	{ NULL, "VT-d FL over SL", SIM_PT_VTD_FL, SIM_PT_VTD_SL, SIM_FL_P | SIM_FL_RW | SIM_FL_US,
	  SIM_FL_P | SIM_FL_RW | SIM_FL_US },
	/* SMMUv3: the CD's VMSAv8-64 stage 1 over stage 2 (table 0b11; page 0b11 | AF | AP[1]) */
	{ "smmuv3", "SMMUv3 S1 over S2", SIM_PT_ARM_S1, SIM_PT_ARM_S2, SIM_ARM_VALID | SIM_ARM_TABLE,
	  SIM_ARM_VALID | SIM_ARM_TABLE | SIM_ARM_AF | SIM_ARM_S1_AP1 },
	/* AMD: the guest CR3's v2 (x86-64) tables over the v1 host table */
	{ "amd", "AMD v2 over v1", SIM_PT_AMD_V2, SIM_PT_AMD_V1, SIM_FL_P | SIM_FL_RW | SIM_FL_US,
	  SIM_FL_P | SIM_FL_RW | SIM_FL_US },
};

/*
 * A 4-level guest stage-1 walk of model @m whose tables are in guest
 * memory, every entry read translated by a 4-level walk of the parent's
 * format, then the parent's walk of the result. The guest's GCR3 or CD
 * lookup in front of it is not timed: a real IOMMU caches it.
 */
double tr_bench_nested(const struct nest_model *m, uint64_t space, unsigned int rounds,
		       uint64_t samples, unsigned int *reads)
{
	const uint64_t data_gpa = UINT64_C(1) << 34; /* guest data at 16 GiB */
	const uint64_t nonleaf = m->nonleaf;
	struct nested n = { 0 };
	struct sim_pt_walker w = { .format = m->s1,
				   .levels = 4,
				   .read_entry = nested_read,
				   .opaque = &n };
	struct sim_pt_result r, r2;
	uint64_t s1root, va, x = 0x510e527fade682d1ULL, i, sum = 0;
	double ns;
	int ret;

	/* stage-1 tables: one page per 2 MiB of space plus the upper levels */
	n.ram_size = (space / M2 + space / G1 + 16) * K4;
	n.ram = tr_xaligned(4096, n.ram_size);
	memset(n.ram, 0, n.ram_size);
	n.next = K4;
	/* stage 2 with 4 KiB pages only: the full 4 x 5 + 4 reads */
	n.s2 = sim_pt_new(m->s2, 4, K4);
	if (!n.s2)
		tr_die("sim_pt_new", -errno);
	ret = sim_pt_map(n.s2, 0, (uint64_t)(uintptr_t)n.ram, n.ram_size, SIM_PT_R | SIM_PT_W);
	if (!ret) /* the data pages are never touched: any output will do */
		ret = sim_pt_map(n.s2, data_gpa, UINT64_C(1) << 44, space, SIM_PT_R | SIM_PT_W);
	if (ret)
		tr_die("sim_pt_map (stage 2)", ret);
	sim_pt_walker_init(&n.s2w, n.s2);
	n.s2root = sim_pt_root(n.s2);

	/* stage 1 (first-stage format, in guest memory): iova -> data_gpa + iova */
	s1root = guest_page(&n);
	for (va = 0; va < space; va += K4) {
		uint64_t t = s1root;
		unsigned int l;

		for (l = 4; l > 1; l--) {
			unsigned int idx = (unsigned int)(va >> (12 + 9 * (l - 1))) & 511;
			uint64_t e = guest_get(&n, t, idx);

			if (!e) {
				e = guest_page(&n) | nonleaf;
				guest_put(&n, t, idx, e);
			}
			t = e & SIM_PT_ADDR_MASK;
		}
		guest_put(&n, t, (unsigned int)(va >> 12) & 511, (data_gpa + va) | m->leaf);
	}

	ret = sim_pt_walk(&w, s1root, space - 1, SIM_PT_R, &r);
	if (!ret)
		ret = sim_pt_walk(&n.s2w, n.s2root, r.oa, SIM_PT_R, &r2);
	if (ret || r2.oa != (UINT64_C(1) << 44) + space - 1)
		tr_die("nested walk", ret ? ret : -EINVAL);
	n.reads = 0;
	BEST_OF(
		ns, rounds, samples, for (i = 0; i < samples; i++) {
			x = xorshift(x);
			va = (x % space) & ~UINT64_C(7);
			if (__builtin_expect(sim_pt_walk(&w, s1root, va, SIM_PT_R, &r) != 0, 0) ||
			    __builtin_expect(sim_pt_walk(&n.s2w, n.s2root, r.oa, SIM_PT_R, &r2) != 0,
					     0))
				tr_die("nested walk", -EFAULT);
			n.reads += r.reads + r2.reads;
			sum += r2.oa;
			x += r2.oa >> 63;
		});
	*reads = (unsigned int)(n.reads / (samples * rounds));
	if (!sum)
		tr_die("nested walk", -EINVAL);
	sim_pt_free(n.s2);
	free(n.ram);
	return ns;
}
