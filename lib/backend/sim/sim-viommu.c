/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's vIOMMU objects: what iommufd's core does for every driver
 * (kernel-uapi.md §1.8) — vIOMMUs, vDEVICEs, vEVENTQs with the kernel's
 * sequence numbers and LOST_EVENTS header, HW queues — and guest memory
 * seen through the vIOMMU's stage 2, on which the vendor models
 * (sim-viommu.h) build their structure walks. What a driver decides is
 * the model's.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sim-guard.h"
#include "sim-viommu.h"

#define X(v) ((unsigned long long)(v))
#define VEVENT_SEQ_MASK 0x7fffffffu /* the kernel's sequence wraps at INT_MAX */

/* One model per vendor; the AMD model joins this list. */
static const struct sim_viommu_model *const models[] = {
	&sim_viommu_smmuv3,
	&sim_viommu_amd,
	NULL,
};

const struct sim_viommu_model *sim_viommu_model_of(const struct sim_profile *p)
{
	unsigned int i;

	for (i = 0; models[i]; i++)
		if (models[i]->vendor == p->vendor)
			return models[i];
	return NULL;
}

static struct sim_ctx *sim_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

/* ---- vIOMMUs ---- */

int sim_viommu_check(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t type)
{
	const struct sim_profile *p = sim_of(ctx)->profile;
	const struct sim_viommu_model *m = sim_viommu_model_of(p);

	if (!m)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "IOMMU_VIOMMU_ALLOC: profile %s is a %s IOMMU, whose Linux driver has no vIOMMU; the sim models them for smmuv3 and amd profiles (issue #13)",
				  p->name, sim_vendor_name(p->vendor));
	return m->viommu_check ? m->viommu_check(ctx, dev, type) : 0;
}

int sim_viommu_alloc(struct ioasid_ctx *ctx, struct ioasid_viommu *v, struct ioasid_dev *dev,
		     void *data, uint32_t data_len)
{
	const struct sim_viommu_model *m = sim_viommu_model_of(sim_of(ctx)->profile);
	struct sim_viommu *sv;
	int err;

	/* the core asked sim_viommu_check() first */
	err = sim_viommu_check(ctx, dev, v->type);
	if (err)
		return err;
	sv = ioasid_calloc(1, sizeof(*sv));
	if (!sv)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a vIOMMU");
	sv->model = m;
	sv->v = v;
	sv->parent = v->parent->be;
	sv->tag = sim_viommu_tag_of(v->parent->obj.id);
	err = m->viommu_init(ctx, sv, dev, data, data_len);
	if (err) {
		ioasid_free(sv);
		return err;
	}
	v->be = sv;
	return 0;
}

int sim_viommu_destroy(struct ioasid_ctx *ctx, struct ioasid_viommu *v)
{
	struct sim_viommu *sv = v->be;

	(void)ctx;
	/* the core destroys it only without users: no vDEVICE, queue or HWPT is left */
	if (sv->model->viommu_fini)
		sv->model->viommu_fini(sv);
	ioasid_free(sv);
	v->be = NULL;
	return 0;
}

int sim_viommu_invalidate(struct ioasid_ctx *ctx, struct ioasid_viommu *v, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t *num)
{
	struct sim_viommu *sv = v->be;
	struct sim_ctx *sim = sim_of(ctx);

	sim->invalidations++;
	return sv->model->invalidate(ctx, sv, data_type, entries, entry_len, num);
}

/* ---- vDEVICEs ---- */

struct sim_vdev *sim_viommu_vdev_of(const struct sim_viommu *sv, const struct sim_dev *sd)
{
	struct sim_vdev *svd;

	for (svd = sv->vdevs; svd; svd = svd->next)
		if (svd->sd == sd)
			return svd;
	return NULL;
}

struct sim_vdev *sim_viommu_vdev_at(const struct sim_viommu *sv, uint64_t virt_id)
{
	struct sim_vdev *svd;

	for (svd = sv->vdevs; svd; svd = svd->next)
		if (svd->virt_id == virt_id)
			return svd;
	return NULL;
}

int sim_vdevice_alloc(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd)
{
	struct sim_viommu *sv = vd->viommu->be;
	struct sim_vdev *svd;
	int err;

	svd = ioasid_calloc(1, sizeof(*svd));
	if (!svd)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a vDEVICE");
	svd->vd = vd;
	svd->sv = sv;
	svd->sd = vd->dev->be;
	svd->virt_id = vd->virt_id;
	if (sv->model->vdevice_init) {
		err = sv->model->vdevice_init(ctx, sv, svd);
		if (err) {
			ioasid_free(svd);
			return err;
		}
	}
	svd->next = sv->vdevs;
	sv->vdevs = svd;
	vd->be = svd;
	return 0;
}

int sim_vdevice_destroy(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd)
{
	struct sim_vdev *svd = vd->be, **pp;

	(void)ctx;
	for (pp = &svd->sv->vdevs; *pp != svd; pp = &(*pp)->next)
		;
	*pp = svd->next;
	ioasid_free(svd);
	vd->be = NULL;
	return 0;
}

/* ---- vEVENTQs ---- */

/* Keep the eventfd readable exactly while something waits. */
static void veventq_signal(struct sim_veventq *sq)
{
	bool want = sq->count || sq->lost;
	uint64_t v = 1;

	if (want == sq->efd_set)
		return;
	/* a non-semaphore eventfd: one write sets it, one read clears it */
	if (want ? write(sq->efd, &v, sizeof(v)) == sizeof(v) :
		   read(sq->efd, &v, sizeof(v)) == sizeof(v))
		sq->efd_set = want;
}

int sim_veventq_alloc(struct ioasid_ctx *ctx, struct ioasid_veventq *q, int *ret_fd)
{
	struct sim_viommu *sv = q->viommu->be;
	struct sim_veventq *sq;

	sq = ioasid_calloc(1, sizeof(*sq));
	if (!sq)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a vEVENTQ");
	sq->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sq->efd < 0) {
		int err = -errno;

		ioasid_free(sq);
		return ioasid_err(ctx, err, "eventfd for a vEVENTQ: %s", strerror(-err));
	}
	/* the kernel takes a queue of any type; only the model's own type gets events */
	sq->q = q;
	sq->sv = sv;
	sq->depth = q->depth;
	sq->rec_len = q->type == sv->model->vevent_type ? sv->model->vevent_len : 0;
	sq->tail = &sq->first;
	sq->next = sv->queues;
	sv->queues = sq;
	q->be = sq;
	*ret_fd = sq->efd;
	return 0;
}

int sim_veventq_destroy(struct ioasid_ctx *ctx, struct ioasid_veventq *q)
{
	struct sim_veventq *sq = q->be, **pp;

	(void)ctx;
	for (pp = &sq->sv->queues; *pp != sq; pp = &(*pp)->next)
		;
	*pp = sq->next;
	while (sq->first) {
		struct sim_vevent *e = sq->first;

		sq->first = e->next;
		ioasid_free(e);
	}
	close(sq->efd);
	q->fd = -1;
	ioasid_free(sq);
	q->be = NULL;
	return 0;
}

int sim_veventq_read(struct ioasid_ctx *ctx, struct ioasid_veventq *q, struct ioasid_vevent *out,
		     uint32_t cap, uint32_t *ret_n)
{
	struct sim_veventq *sq = q->be;
	uint32_t n = 0;

	(void)ctx;
	while (n < cap && sq->first) {
		struct sim_vevent *e = sq->first;

		memset(&out[n], 0, sizeof(out[n]));
		out[n].sequence = e->seq;
		out[n].data_len = sq->rec_len;
		memcpy(out[n].data, e->data, sq->rec_len);
		n++;
		sq->first = e->next;
		if (!sq->first)
			sq->tail = &sq->first;
		sq->count--;
		ioasid_free(e);
	}
	/* the LOST_EVENTS header is always last */
	if (n < cap && !sq->first && sq->lost) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].flags = IOASID_VEVENT_LOST_EVENTS;
		out[n].sequence = sq->lost_seq;
		n++;
		sq->lost = false;
	}
	veventq_signal(sq);
	*ret_n = n;
	return 0;
}

/*
 * iommufd_viommu_report_event() and iommufd_vevent_handler(): a full
 * queue (depth records waiting) loses the record, and the LOST_EVENTS
 * header goes (back) to the tail with the lost record's sequence number;
 * a record added later takes the header away. Every record, lost or not,
 * takes a sequence number. No queue of the type: the event is dropped, as
 * the kernel's -EOPNOTSUPP there leaves it.
 */
static void veventq_push(struct sim_veventq *sq, const uint8_t *rec)
{
	struct sim_vevent *e = NULL;
	uint32_t seq = sq->next_seq;

	sq->next_seq = (sq->next_seq + 1) & VEVENT_SEQ_MASK;
	sq->reported++;
	if (sq->count < sq->depth)
		e = ioasid_malloc(sizeof(*e));
	if (!e) {
		/* full, or no memory: the kernel's GFP_NOWAIT failure is a loss too */
		sq->lost = true;
		sq->lost_seq = seq;
		sq->dropped++;
	} else {
		e->next = NULL;
		e->seq = seq;
		memcpy(e->data, rec, sq->rec_len);
		*sq->tail = e;
		sq->tail = &e->next;
		sq->count++;
		sq->lost = false;
	}
	veventq_signal(sq);
}

void sim_viommu_set_vmaster(struct sim_dev *sd, const struct sim_hwpt *sh)
{
	const struct sim_vdev *svd = sh->vi ? sim_viommu_vdev_of(sh->vi, sd) : NULL;

	/* without a vDEVICE the guest has no id for the device: the kernel has no vmaster */
	sd->vmaster = svd ? sh->vi : NULL;
	sd->vmaster_id = svd ? svd->virt_id : 0;
}

void sim_viommu_report(struct sim_viommu *sv, struct sim_dev *sd, const struct sim_vfault *vf)
{
	const struct sim_viommu_model *m = sv->model;
	struct sim_veventq *sq;
	uint8_t rec[IOASID_VEVENT_DATA_MAX];

	if (sd->vmaster != sv)
		return;
	for (sq = sv->queues; sq; sq = sq->next)
		if (sq->q->type == m->vevent_type)
			break;
	if (!sq)
		return;
	memset(rec, 0, sizeof(rec));
	m->encode_event(sv, vf, sd->vmaster_id, rec);
	veventq_push(sq, rec);
}

/* ---- HW queues ---- */

int sim_hw_queue_alloc(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq)
{
	struct sim_viommu *sv = hq->viommu->be;
	int err;

	if (!sv->model->hw_queue_init)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "IOMMU_HW_QUEUE_ALLOC: a %s vIOMMU (type %u) has no HW queues",
				  sv->model->name, hq->viommu->type);
	err = sv->model->hw_queue_init(ctx, sv, hq);
	if (!err && !hq->be)
		hq->be = sv; /* marks it made */
	return err;
}

int sim_hw_queue_destroy(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq)
{
	(void)ctx;
	hq->be = NULL;
	return 0;
}

/* ---- nested HWPTs on a vIOMMU ---- */

int sim_viommu_nested_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct sim_hwpt *sh)
{
	struct sim_viommu *sv = h->viommu->be;

	sh->vi = sv;
	sh->parent = sv->parent;
	return sv->model->nested_alloc(ctx, sv, h, sh);
}

void sim_viommu_nested_free(struct sim_hwpt *sh)
{
	sh->vi->model->nested_free(sh);
	sh->vpriv = NULL;
}

int sim_viommu_attach_check(struct ioasid_ctx *ctx, struct sim_dev *sd, uint32_t pasid,
			    struct sim_hwpt *sh)
{
	struct sim_viommu *sv = sh->vi;

	return sv->model->attach_check ? sv->model->attach_check(ctx, sv, sd, pasid, sh) : 0;
}

int sim_viommu_translate(const struct sim_vreq *rq, struct sim_xlate *x, struct sim_fault_info *fi)
{
	return rq->sh->vi->model->translate(rq, x, fi);
}

int sim_viommu_stale(const struct sim_vreq *rq, const struct sim_xlate *cached,
		     const struct sim_xlate *now, int err)
{
	return sim_stale_hit(rq->ctx, rq->sim, rq->sd, rq->pasid, rq->sh, rq->iova, cached, now,
			     err);
}

/* ---- guest memory through stage 2 ---- */

int sim_viommu_s2(const struct sim_viommu *sv, uint64_t gpa, unsigned int acc, bool set_ad,
		  struct sim_pt_result *r)
{
	struct sim_pt_walker w;

	sim_pt_walker_init(&w, sv->parent->pt);
	if (set_ad && sv->parent->dirty)
		acc |= SIM_PT_WALK_SET_AD;
	return sim_pt_walk(&w, sim_pt_root(sv->parent->pt), gpa, acc, r);
}

int sim_viommu_gpa_read(const struct sim_viommu *sv, uint64_t gpa, void *buf, size_t len,
			struct sim_pt_result *r)
{
	struct sim_pt_result tmp;
	uint8_t *dst = buf;

	if (!r)
		r = &tmp;
	while (len) {
		size_t n = (size_t)IOASID_MIN((uint64_t)len, 4096 - (gpa & 4095));
		int err = sim_viommu_s2(sv, gpa, SIM_PT_R, true, r);

		if (err)
			return err;
		if (sim_guard_copy(dst, (const void *)(uintptr_t)r->oa, n, false))
			return -EFAULT;
		dst += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* The host address of entry @index of guest table @table, for an access @acc. */
static int walk_entry(struct sim_viommu_walk *vw, uint64_t table, unsigned int index,
		      unsigned int acc, uint64_t **ret)
{
	struct sim_pt_result r;
	int err = sim_pt_walk(&vw->s2, sim_pt_root(vw->sv->parent->pt), table + index * 8ull,
			      acc | vw->s2_flags, &r);

	vw->reads += r.reads;
	if (err) {
		vw->s2_fault = r;
		vw->s2_failed = true;
		return err;
	}
	*ret = (uint64_t *)(uintptr_t)r.oa;
	return 0;
}

static int walk_read(void *opaque, uint64_t table, unsigned int index, uint64_t *entry)
{
	uint64_t *p;
	int err = walk_entry(opaque, table, index, SIM_PT_R, &p);

	if (err)
		return err;
	/* the guest's table is process memory the VMM may have unmapped */
	err = sim_guard_load64(p, entry);
	*entry = le64toh(*entry);
	return err;
}

static int walk_set(void *opaque, uint64_t table, unsigned int index, uint64_t bits)
{
	uint64_t *p;
	int err = walk_entry(opaque, table, index, SIM_PT_W, &p);

	return err ? err : sim_guard_or64(p, htole64(bits));
}

static int walk_clear(void *opaque, uint64_t table, unsigned int index, uint64_t bits)
{
	uint64_t *p;
	int err = walk_entry(opaque, table, index, SIM_PT_W, &p);

	return err ? err : sim_guard_and64(p, ~htole64(bits));
}

void sim_viommu_walk_init(struct sim_viommu_walk *vw, const struct sim_viommu *sv,
			  enum sim_pt_format fmt, unsigned int levels, unsigned int oa_bits,
			  bool set_ad)
{
	memset(vw, 0, sizeof(*vw));
	vw->sv = sv;
	sim_pt_walker_init(&vw->s2, sv->parent->pt);
	vw->s2_flags = set_ad && sv->parent->dirty ? SIM_PT_WALK_SET_AD : 0;
	vw->w.format = fmt;
	vw->w.levels = levels;
	vw->w.oa_bits = oa_bits;
	vw->w.read_entry = walk_read;
	vw->w.set_bits = walk_set;
	vw->w.clear_bits = walk_clear;
	vw->w.opaque = vw;
}
