// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd_device_pasid): a PASID-capable device attached to an IOAS
 * (variant no_pasid: a device without PASIDs too), and the kernel's PASID
 * rules (kernel-uapi.md §1.4, "The PASID rule"): only an ALLOC_PASID HWPT
 * takes a PASID, a PASID needs the RID's domain to allow PASIDs and keeps
 * a domain that does not from the RID, attach never replaces, replace
 * needs something attached, detach of nothing is fine.
 *
 * The library acts for a set: the PASIDs are allocated to one first. The
 * selftest's PASID 1024 (the mock fails replacing it with ENOMEM on
 * purpose) and its vIOMMU-based nested HWPT have no counterpart.
 */
#include <errno.h>
#include <string.h>

#include "cases.h"

struct pasid_fx {
	uint32_t ioas, pd, nd; /* nd: the device without PASIDs, 0 = none */
	uint32_t set;
	struct ioasid_attach_opts ao;
	struct cf_geom g;
};

static void pasid_setup(struct cf_t *t, struct pasid_fx *f)
{
	const struct pasid_variant *v = t->c->arg;
	uint32_t p = 0;

	memset(f, 0, sizeof(*f));
	f->ioas = cf_ioas(t);
	f->pd = cf_dev(t, CF_DEV_PASID);
	CF_OK(t, ioasid_dev_attach(t->ctx, f->pd, IOASID_PASID_NONE, f->ioas, NULL));
	cf_geom(t, f->pd, &f->g);
	if (!v->pasid_capable) {
		f->nd = cf_dev(t, CF_DEV);
		CF_OK(t, ioasid_dev_attach(t->ctx, f->nd, IOASID_PASID_NONE, f->ioas, NULL));
	}
	f->set = cf_set_with_pasid(t, 100);
	CF_OK(t, ioasid_pasid_alloc(t->ctx, f->set, 200, 200, &p));
	CF_OK(t, ioasid_pasid_alloc(t->ctx, f->set, 2048, 2048, &p));
	f->ao = cf_as_set(f->set);
}

static int attach(struct cf_t *t, struct pasid_fx *f, uint32_t dev, uint32_t pasid, uint32_t pt)
{
	return ioasid_dev_attach(t->ctx, dev, pasid, pt, &f->ao);
}

static int replace(struct cf_t *t, struct pasid_fx *f, uint32_t dev, uint32_t pasid, uint32_t pt)
{
	return ioasid_dev_replace(t->ctx, dev, pasid, pt,
				  pasid == IOASID_PASID_NONE ? NULL : &f->ao);
}

/* What (pd, @pasid) is attached to; 0 for nothing. */
static uint32_t attached(struct cf_t *t, struct pasid_fx *f, uint32_t pasid)
{
	uint32_t pt = 0;

	return ioasid_dev_attached(t->ctx, f->pd, pasid, &pt) ? 0 : pt;
}

/* The rules with paging HWPTs: a nest parent (no PASIDs) and an ALLOC_PASID one. */
void c_pasid_attach_rules(struct cf_t *t)
{
	const uint32_t N = IOASID_PASID_NONE;
	uint32_t parent = 0, s2 = 0;
	struct pasid_fx f;

	pasid_setup(t, &f);
	/* detaching what is not attached does nothing, and succeeds */
	CF_DRET(t, "pasid-detach-unattached", ioasid_dev_detach(t->ctx, f.pd, 100), 0);
	CF_OK(t, cf_hwpt_alloc(t, f.pd, f.ioas, IOASID_HWPT_NEST_PARENT, &parent));
	CF_OK(t, cf_hwpt_alloc(t, f.pd, f.ioas, IOASID_HWPT_PASID, &s2));

	/* the RID's domain must allow PASIDs, and then keeps a PASID's company */
	CF_OK(t, replace(t, &f, f.pd, N, parent));
	CF_RET(t, attach(t, &f, f.pd, 100, s2), -EINVAL);
	CF_OK(t, replace(t, &f, f.pd, N, s2));
	CF_OK(t, attach(t, &f, f.pd, 100, s2));
	CF_RET(t, replace(t, &f, f.pd, N, parent), -EINVAL);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 100));
	CF_EQ(t, attached(t, &f, 100), 0);

	if (f.nd) {
		/* an ALLOC_PASID domain serves a device without PASIDs; its PASIDs are refused */
		CF_OK(t, replace(t, &f, f.nd, N, s2));
		CF_OK(t, replace(t, &f, f.nd, N, f.ioas));
		CF_DRET(t, "pasid-attach-no-pasid-dev", attach(t, &f, f.nd, 100, parent), -EINVAL);
		CF_DRET(t, "pasid-attach-no-pasid-dev", attach(t, &f, f.nd, 100, s2), -EINVAL);
	}

	/* only an ALLOC_PASID HWPT takes a PASID: not a nest parent, not an IOAS */
	CF_RET(t, attach(t, &f, f.pd, 100, parent), -EINVAL);
	CF_EQ(t, attached(t, &f, 100), 0);
	CF_DRET(t, "pasid-autodomain", attach(t, &f, f.pd, 100, f.ioas), -EINVAL);
	CF_DTRUE(t, "pasid-autodomain", attached(t, &f, 100) == 0, "PASID 100 is attached");
	if (attached(t, &f, 100))
		ioasid_dev_detach(t->ctx, f.pd, 100);
	CF_OK(t, attach(t, &f, f.pd, 100, s2));
	CF_EQ(t, attached(t, &f, 100), s2);
	/* attach does not replace */
	CF_RET(t, attach(t, &f, f.pd, 100, s2), -EBUSY);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 100));
	CF_EQ(t, attached(t, &f, 100), 0);

	/* replace needs an attachment, and an ALLOC_PASID HWPT */
	CF_DRET(t, "pasid-replace-unattached", replace(t, &f, f.pd, 200, s2), -EINVAL);
	if (attached(t, &f, 200))
		ioasid_dev_detach(t->ctx, f.pd, 200);
	CF_OK(t, attach(t, &f, f.pd, 200, s2));
	CF_EQ(t, attached(t, &f, 200), s2);
	CF_DRET(t, "pasid-autodomain", replace(t, &f, f.pd, 200, f.ioas), -EINVAL);
	CF_DTRUE(t, "pasid-autodomain", attached(t, &f, 200) == s2, "PASID 200 left s2");
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 200));

	CF_OK(t, replace(t, &f, f.pd, N, f.ioas));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, s2));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, parent));
}

/* The same with nested HWPTs on the PASIDs, and a page request through one. */
void c_pasid_attach_nested(struct cf_t *t)
{
	struct ioasid_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	const uint32_t N = IOASID_PASID_NONE;
	uint32_t parent = 0, s2 = 0, nested[2] = { 0 }, iopf = 0, q, qset;
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct pasid_fx f;

	pasid_setup(t, &f);
	CF_OK(t, cf_hwpt_alloc(t, f.pd, f.ioas, IOASID_HWPT_NEST_PARENT, &parent));
	s1.pgtbl_addr = cf_empty_stage1(t, f.ioas, f.g.ap_last);
	o.type = IOASID_HWPT_NESTED_VTD_S1;
	o.data = &s1;
	o.data_len = sizeof(s1);
	o.flags = IOASID_HWPT_PASID;
	CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.pd, parent, &o, &nested[0]));
	CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.pd, parent, &o, &nested[1]));
	q = cf_fault_queue(t, &qset);
	o.flags = IOASID_HWPT_PASID | IOASID_HWPT_FAULT_ID_VALID;
	o.fault_queue = q;
	CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.pd, parent, &o, &iopf));
	CF_OK(t, cf_hwpt_alloc(t, f.pd, f.ioas, IOASID_HWPT_PASID, &s2));

	CF_OK(t, replace(t, &f, f.pd, N, s2));
	CF_OK(t, attach(t, &f, f.pd, 100, nested[0]));
	CF_RET(t, replace(t, &f, f.pd, N, parent), -EINVAL);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 100));
	if (f.nd) {
		CF_OK(t, replace(t, &f, f.nd, N, nested[0]));
		CF_OK(t, replace(t, &f, f.nd, N, f.ioas));
	}

	CF_OK(t, attach(t, &f, f.pd, 100, s2));
	CF_RET(t, attach(t, &f, f.pd, 100, nested[0]), -EBUSY);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 100));
	CF_OK(t, attach(t, &f, f.pd, 100, nested[0]));
	CF_EQ(t, attached(t, &f, 100), nested[0]);
	CF_RET(t, attach(t, &f, f.pd, 100, nested[0]), -EBUSY);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 100));

	CF_OK(t, attach(t, &f, f.pd, 200, s2));
	CF_OK(t, replace(t, &f, f.pd, 200, nested[0]));
	CF_EQ(t, attached(t, &f, 200), nested[0]);
	CF_OK(t, replace(t, &f, f.pd, 200, nested[1]));
	CF_EQ(t, attached(t, &f, 200), nested[1]);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 200));

	/* a page request at a PASID goes to the queue of the HWPT attached there */
	CF_OK(t, attach(t, &f, f.pd, 2048, iopf));
	CF_EQ(t, attached(t, &f, 2048), iopf);
	cf_iopf_round(t, f.pd, 2048, q, iopf, 0x100000);
	CF_OK(t, replace(t, &f, f.pd, 2048, s2));
	CF_EQ(t, attached(t, &f, 2048), s2);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.pd, 2048));

	CF_OK(t, ioasid_hwpt_destroy(t->ctx, iopf));
	CF_OK(t, ioasid_fault_queue_destroy(t->ctx, q));
	CF_OK(t, replace(t, &f, f.pd, N, f.ioas));
}
