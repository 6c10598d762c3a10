/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VMM's side of a virtio-iommu: bypass (at boot, per domain, legacy)
 * and memory hot-plug, a translate callback instead of a memory table,
 * reset, endpoint registration and the options it is made with.
 */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"
#include "suites.h"
#include "virtio-iommu-fixture.h"

START_TEST(test_bypass)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .set = set,
					      .mem = &mem,
					      .nr_mem = 1,
					      .flags = IOASID_VIRTIO_IOMMU_BOOT_BYPASS };
	struct ioasid_virtio_iommu *vi;
	uint8_t b[80], zero = 0, one = 1;
	size_t done;
	char x[4] = "byp";

	ioasid_virtio_iommu_free(vio); /* sim0..2 belong to one virtio-iommu at a time */
	vio = NULL;
	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP2, dev[2], NULL));
	/* boot bypass: an unattached endpoint reaches guest memory at IOVA = GPA */
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA + 16, x, 4,
					       &done));
	ck_assert_str_eq((char *)ram + 16, "byp");
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(
									 vi)));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_write(vi, 36, &zero, 1));
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4, &done),
			 -EFAULT);
	/* ATTACH_F_BYPASS: a bypass domain, which takes no MAP */
	ck_status(req_on(vi, b, mk_attach(b, 4, EP2, IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS)), S_OK);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA + 32, x, 4,
					       &done));
	ck_status(req_on(vi, b, mk_map(b, 4, 0, 0xfff, RAM_GPA, F_RW)), S_INVAL);
	ck_status(req_on(vi, b, mk_unmap(b, 4, 0, 0xfff)), S_INVAL);
	ck_status(req_on(vi, b, mk_attach(b, 5, EP2, 0)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 5, EP2, IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS)), S_INVAL);
	ck_status(req_on(vi, b, mk_detach(b, 5, EP2)), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_write(vi, 36, &one, 1));
	ck_assert_ok(ctx,
		     ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4, &done));
	/* memory hot-plug: the bypass IOAS follows the table */
	{
		uint8_t *more = test_mem(4 * PG);
		struct ioasid_virtio_iommu_mem two[2] = {
			mem,
			{ .gpa = RAM_GPA + RAM_SIZE, .size = 4 * PG, .hva = more },
		};

		ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE,
						      RAM_GPA + RAM_SIZE, x, 4, &done),
				 -EFAULT);
		ck_assert_ok(ctx, ioasid_virtio_iommu_set_memory(vi, two, 2));
		ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE,
						       RAM_GPA + RAM_SIZE, x, 4, &done));
		ck_assert_str_eq((char *)more, "byp");
		/* the two regions are contiguous in GPA, not in VMM memory: a MAP across fails */
		ck_status(req_on(vi, b, mk_attach(b, 6, EP2, 0)), S_OK);
		ck_status(req_on(vi, b, mk_map(b, 6, 0, 2 * PG - 1, RAM_GPA + RAM_SIZE - PG, F_RW)),
			  S_FAULT);
		ck_status(req_on(vi, b, mk_map(b, 6, 0, PG - 1, RAM_GPA + RAM_SIZE, F_RW)), S_OK);
		ck_assert_ok(ctx, ioasid_virtio_iommu_set_memory(vi, &mem, 1));
		ck_status(req_on(vi, b, mk_detach(b, 6, EP2)), S_OK);
		ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE,
						      RAM_GPA + RAM_SIZE, x, 4, &done),
				 -EFAULT);
		munmap(more, 4 * PG);
	}
	/* without BYPASS_CONFIG the ATTACH flag is unknown; legacy F_BYPASS bypasses */
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vi, IOASID_VIRTIO_IOMMU_F_MAP_UNMAP));
	ck_status(req_on(vi, b, mk_attach(b, 7, EP2, IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS)), S_INVAL);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4, &done),
			 -EFAULT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(vi, IOASID_VIRTIO_IOMMU_F_BYPASS));
	ck_assert_ok(ctx,
		     ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4, &done));
	ioasid_virtio_iommu_free(vi);
}
END_TEST

/*
 * The quota the docs prescribe: the live domains, the blocked IOAS and the
 * bypass IOAS. Linux moves an endpoint to a fresh domain with one ATTACH
 * (no DETACH first); the old domain dies with it, so that must fit.
 */
START_TEST(test_attach_fresh_domain_within_quota)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 3 };
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .mem = &mem,
					      .nr_mem = 1 };
	struct ioasid_virtio_iommu *vi;
	struct ioasid_mapping m;
	uint32_t set1, ioas, d;
	uint8_t b[80];
	char x[4] = "new";
	size_t done;

	ioasid_virtio_iommu_free(vio);
	vio = NULL;
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set1));
	o.set = set1;
	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP2, dev[2], NULL));
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(
									 vi)));
	ck_status(req_on(vi, b, mk_attach(b, 1, EP2, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x4000, 0x4fff, RAM_GPA, F_RW)), S_OK);
	/* to a fresh domain: the old one's mappings do not follow */
	ck_status(req_on(vi, b, mk_attach(b, 2, EP2, 0)), S_OK);
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(vi, 1, &d), -ENOENT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_domain(vi, EP2, &d));
	ck_assert_uint_eq(d, 2);
	ck_assert_ok(ctx, ioasid_virtio_iommu_domain_ioas(vi, 2, &ioas));
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x4000, &m), -ENOENT);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x4000, x, 4, &done),
			 -EFAULT);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x4000, 0x4fff, RAM_GPA, F_RW)), S_NOENT);
	ck_status(req_on(vi, b, mk_map(b, 2, 0x8000, 0x8fff, RAM_GPA + PG, F_RW)), S_OK);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x8000, x, 4, &done));
	ck_assert_str_eq((char *)ram + PG, "new");
	/* and again, then back through DETACH */
	ck_status(req_on(vi, b, mk_attach(b, 3, EP2, 0)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x8000, x, 4, &done),
			 -EFAULT);
	ck_status(req_on(vi, b, mk_detach(b, 3, EP2)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 4, EP2, 0)), S_OK);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

/*
 * A refused request leaves its message in the context while a device's DMA
 * fails on another thread and leaves its own: both writes of the context's
 * message must be under the context's lock (make check-tsan runs this).
 */
static int race_stop;

/*
 * Bounded, not "until told to stop": under valgrind, which runs one thread
 * at a time, an unbounded loop taking the context lock can starve the
 * requests for minutes. The two loops still overlap for TSan.
 */
static void *dma_faults(void *arg)
{
	char x[4] = { 0 };
	size_t done;
	int i;

	(void)arg;
	for (i = 0; i < 4000 && !__atomic_load_n(&race_stop, __ATOMIC_RELAXED); i++) {
		ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x4000, x, sizeof(x), &done);
		sched_yield();
	}
	return NULL;
}

START_TEST(test_refusals_race_dma_messages)
{
	pthread_t t;
	uint8_t b[80];
	int i;

	ck_status(attach(1, EP2), S_OK);
	__atomic_store_n(&race_stop, 0, __ATOMIC_RELAXED);
	ck_assert_int_eq(pthread_create(&t, NULL, dma_faults, NULL), 0);
	for (i = 0; i < 2000; i++) {
		ck_status(req(b, mk_map(b, 77, 0, 0xfff, RAM_GPA, F_RW)), S_NOENT);
		ck_status(req(b, mk_unmap(b, 1, 0x2000, 0x1000)), S_INVAL);
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
}
END_TEST

static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

/*
 * A guest maps the same 512 KiB of its memory at IOVA after IOVA: past the
 * VMM's bounds it gets NOMEM, and the host heap stops growing with it.
 */
START_TEST(test_mapping_limits)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .set = set,
					      .mem = &mem,
					      .nr_mem = 1,
					      .max_domain_mappings = 1000,
					      .max_mappings = 1500 };
	const uint64_t len = 512 * 1024, base = 1ull << 32;
	struct ioasid_virtio_iommu_stats st;
	struct ioasid_virtio_iommu *vi;
	size_t h0, h100, grown;
	unsigned int ok = 0, nomem = 0, i;
	uint8_t b[80], s1;

	ioasid_virtio_iommu_free(vio);
	vio = NULL;
	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP1, dev[1], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP2, dev[2], NULL));
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(
									 vi)));
	ck_status(req_on(vi, b, mk_attach(b, 1, EP2, 0)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 2, EP1, 0)), S_OK);
	h0 = heap_used();
	h100 = h0;
	for (i = 0; i < 20000; i++) {
		s1 = req_on(vi, b,
			    mk_map(b, 1, base + i * len, base + (i + 1) * len - 1, RAM_GPA, F_RW));
		if (s1 == S_OK)
			ok++;
		else if (s1 == S_NOMEM)
			nomem++;
		if (i == 99)
			h100 = heap_used();
	}
	ck_assert_uint_eq(ok, 1000);
	ck_assert_uint_eq(nomem, 19000);
	ck_assert_errmsg_has(ctx, "limit");
	/* 1000 maps cost about ten times what the first 100 did; 20,000 would cost 200 times */
	grown = heap_used() - h0;
	ck_assert_msg(grown <= 20 * (h100 - h0) + 65536, "heap grew %zu bytes, 100 maps %zu", grown,
		      h100 - h0);
	/* the bound of all domains together */
	for (i = 0; i < 600; i++)
		req_on(vi, b, mk_map(b, 2, base + i * len, base + (i + 1) * len - 1, RAM_GPA, F_RW));
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vi, &st));
	ck_assert_uint_eq(st.nr_mappings, 1500);
	ck_status(req_on(vi, b, mk_map(b, 2, 0, PG - 1, RAM_GPA, F_RW)), S_NOMEM);
	/* UNMAP gives the room back, to any domain */
	ck_status(req_on(vi, b, mk_unmap(b, 1, base, base + len - 1)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 2, 0, PG - 1, RAM_GPA, F_RW)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 2, PG, 2 * PG - 1, RAM_GPA, F_RW)), S_NOMEM);
	ck_status(req_on(vi, b, mk_unmap(b, 1, 0, UINT64_MAX)), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vi, &st));
	ck_assert_uint_eq(st.nr_mappings, 501);
	/* and so does a domain that dies, and one that is re-used by ATTACH */
	ck_status(req_on(vi, b, mk_detach(b, 1, EP2)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 3, EP1, 0)), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vi, &st));
	ck_assert_uint_eq(st.nr_mappings, 0);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

/*
 * The VMM takes a region out of the table while the guest still maps it:
 * the mappings go (a device must not reach memory that is no longer guest
 * RAM), and the guest learns of it through MAPPING faults.
 */
START_TEST(test_memory_removal_revokes_mappings)
{
	uint8_t *more = test_mem(4 * PG);
	struct ioasid_virtio_iommu_mem two[2] = {
		{ .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram },
		{ .gpa = RAM_GPA + 2 * RAM_SIZE, .size = 4 * PG, .hva = more },
	};
	const uint64_t more_gpa = RAM_GPA + 2 * RAM_SIZE;
	struct ioasid_virtio_iommu_stats st;
	struct ioasid_mapping m;
	uint8_t rec[64];
	char x[4] = "old";
	size_t done;

	ck_assert_ok(ctx, ioasid_virtio_iommu_set_memory(vio, two, 2));
	ck_status(attach(1, EP2), S_OK);
	ck_status(attach(2, EP1), S_OK);
	ck_status(map(1, 0x1000, 0x2fff, more_gpa, F_RW), S_OK);
	ck_status(map(1, 0x8000, 0x8fff, RAM_GPA, F_RW), S_OK);
	ck_status(map(2, 0x4000, 0x4fff, more_gpa + 3 * PG, F_RW), S_OK);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x1000, x, 4, &done));
	ck_assert_str_eq((char *)more, "old");
	/* the region goes: so do the mappings into it, and only those */
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_memory(vio, two, 1));
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, dom_ioas(1), 0x1000, &m), -ENOENT);
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, dom_ioas(2), 0x4000, &m), -ENOENT);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, dom_ioas(1), 0x8000, &m));
	memset(more, 0, 4 * PG);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x1000, x, 4, &done),
			 -EFAULT);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[1], IOASID_PASID_NONE, 0x4000, x, 4, &done),
			 -EFAULT);
	ck_assert_uint_eq(more[0], 0);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, 0x8000, x, 4, &done));
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vio, &st));
	ck_assert_uint_eq(st.revoked, 2);
	ck_assert_uint_eq(st.nr_mappings, 1);
	/* the guest hears of it as the spec allows: a MAPPING fault at the IOVA */
	ck_assert_uint_eq(pop(vio, rec, sizeof(rec)), 48);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(g32(rec + 8), EP2);
	ck_assert_uint_eq(g64(rec + 16) & ~0xfffull, 0x1000);
	/* the region is no guest memory any more; its IOVAs are free again */
	ck_status(map(1, 0x1000, 0x1fff, more_gpa, F_RW), S_FAULT);
	ck_status(map(1, 0x1000, 0x1fff, RAM_GPA, F_RW), S_OK);
	ck_status(unmap(1, 0x1000, 0x2fff), S_OK);
	munmap(more, 4 * PG);
}
END_TEST

static int cb_calls;

static int translate_cb(void *data, uint64_t gpa, uint64_t size, uint32_t flags, void **ret)
{
	uint8_t *base = data;

	cb_calls++;
	if (flags || gpa < 0x1000000 || gpa - 0x1000000 >= RAM_SIZE ||
	    size > RAM_SIZE - (gpa - 0x1000000))
		return -EFAULT;
	*ret = base + (gpa - 0x1000000);
	return 0;
}

START_TEST(test_translate_callback_and_reset)
{
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .translate = translate_cb,
					      .translate_data = ram,
					      .flags = IOASID_VIRTIO_IOMMU_MMIO };
	struct ioasid_virtio_iommu *vi;
	struct ioasid_mapping m;
	uint8_t b[80];
	uint32_t ioas;

	ioasid_virtio_iommu_free(vio);
	vio = NULL;
	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	/* no bypass with a callback and no bypass IOAS; MMIO offered */
	ck_assert_uint_eq(ioasid_virtio_iommu_device_features(vi) &
				  (IOASID_VIRTIO_IOMMU_F_BYPASS |
				   IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG),
			  0);
	ck_assert_uint_ne(ioasid_virtio_iommu_device_features(vi) & IOASID_VIRTIO_IOMMU_F_MMIO, 0);
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(vi, b, 40, &(size_t){ 0 }), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, 1, dev[0], NULL));
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(
									 vi)));
	ck_status(req_on(vi, b, mk_attach(b, 1, 1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x2000, 0x2fff, 0x1000000 + PG, F_RW)), S_OK);
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_ok(ctx, ioasid_virtio_iommu_domain_ioas(vi, 1, &ioas));
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x2000, &m));
	ck_assert_uint_eq(m.uva, (uintptr_t)(ram + PG));
	ck_status(req_on(vi, b, mk_map(b, 1, 0x3000, 0x3fff, 0x5000, F_RW)), S_FAULT);
	/* MMIO is passed to the callback, which has no device memory */
	ck_status(req_on(vi, b,
			 mk_map(b, 1, 0x3000, 0x3fff, 0x1000000,
				F_RW | IOASID_VIRTIO_IOMMU_MAP_F_MMIO)),
		  S_FAULT);
	ck_assert_int_eq(ioasid_virtio_iommu_set_memory(vi, NULL, 0), -EINVAL);
	/* reset: domains gone, features forgotten */
	ck_assert_ok(ctx, ioasid_virtio_iommu_reset(vi));
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas), IOASID_OBJ_NONE);
	ck_assert_int_eq(ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &ioas), -ENOENT);
	ck_status(req_on(vi, b, mk_attach(b, 1, 1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x2000, 0x2fff, 0x1000000, F_RW)), S_UNSUPP);
	ioasid_virtio_iommu_free(vi);
	ck_assert_int_eq(ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &ioas), -ENOENT);
}
END_TEST

START_TEST(test_registration_and_options)
{
	struct ioasid_virtio_iommu_mem mem[2] = {
		{ .gpa = 0x1000, .size = 0x2000, .hva = ram },
		{ .gpa = 0x2000, .size = 0x1000, .hva = ram },
	};
	struct ioasid_virtio_iommu *vi;
	uint32_t d;

	/* endpoints */
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, EP0, dev[0], NULL), -EEXIST);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, 1, dev[0], NULL), -EEXIST);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, 1, 999, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, 1, set, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_del(vio, 1), -ENOENT);
	ck_status(attach(9, EP0), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_del(vio, EP0));
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(vio, 9, &d), -ENOENT);
	ck_assert_int_eq(ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &d), -ENOENT);
	ck_status(attach(9, EP0), S_NOENT);
	{
		struct ioasid_virtio_iommu_endpoint_opts eo = {
			.sz = sizeof(struct ioasid_virtio_iommu_endpoint_opts),
			.flags = 1
		};

		ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, EP0, dev[0], &eo), -EINVAL);
	}
	/* options */
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
						      .flags = 1u << 20 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
						      .mem = mem,
						      .nr_mem = 2 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
		ck_assert_errmsg_has(ctx, "overlap");
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
						      .mem = mem,
						      .nr_mem = 1,
						      .translate = translate_cb };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
						      .translate = translate_cb,
						      .flags = IOASID_VIRTIO_IOMMU_BOOT_BYPASS };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
						      .set = 4242 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -ENOENT);
	}
	{
		struct {
			struct ioasid_virtio_iommu_opts o;
			uint64_t extra;
		} big = { .o = { .sz = sizeof(big) }, .extra = 1 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &big.o, &vi), -E2BIG);
		big.extra = 0;
		ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &big.o, &vi));
		ioasid_virtio_iommu_free(vi);
	}
	ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, NULL, &vi), -EINVAL);
	ioasid_virtio_iommu_free(NULL);
}
END_TEST

Suite *virtio_iommu_vmm_suite(void)
{
	Suite *s = suite_create("virtio_iommu_vmm");
	TCase *tc = vio_tcase("virtio_iommu_vmm");

	tcase_add_test(tc, test_bypass);
	tcase_add_test(tc, test_attach_fresh_domain_within_quota);
	tcase_add_test(tc, test_refusals_race_dma_messages);
	tcase_add_test(tc, test_mapping_limits);
	tcase_add_test(tc, test_memory_removal_revokes_mappings);
	tcase_add_test(tc, test_translate_callback_and_reset);
	tcase_add_test(tc, test_registration_and_options);
	suite_add_tcase(s, tc);
	return s;
}
