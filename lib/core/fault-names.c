/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names of fault flags and reasons, one table for every writer of fault
 * records (the scenario format, traces): ioasid_fault_flag_name(),
 * ioasid_fault_reason_name().
 */
#include "private.h"

/* Names for dumps: what the scenario format and traces write in "flags". */
static const struct {
	uint32_t bit;
	const char *name;
} fault_flag_names[] = {
	{ IOASID_FAULT_F_READ, "read" },
	{ IOASID_FAULT_F_WRITE, "write" },
	{ IOASID_FAULT_F_EXEC, "exec" },
	{ IOASID_FAULT_F_PRIV, "priv" },
	{ IOASID_FAULT_F_LAST, "last" },
	{ IOASID_FAULT_F_PAGE_REQ, "page_req" },
	{ IOASID_FAULT_F_TIMED_OUT, "timed_out" },
	{ IOASID_FAULT_F_ADDR_VALID, "addr_valid" },
	{ IOASID_FAULT_F_PASID_VALID, "pasid_valid" },
	{ IOASID_FAULT_F_GROUP_VALID, "group_valid" },
	{ IOASID_FAULT_F_PRIV_VALID, "priv_valid" },
};

const char *ioasid_fault_flag_name(uint32_t flag)
{
	size_t i;

	/* an exact match, so a combination or 0 has no name */
	for (i = 0; i < ARRAY_SIZE(fault_flag_names); i++)
		if (fault_flag_names[i].bit == flag)
			return fault_flag_names[i].name;
	return NULL;
}

static const char *const fault_reason_names[] = {
	[IOASID_FAULT_R_PAGE_REQUEST] = "page_request",
	[IOASID_FAULT_R_NOT_PRESENT] = "not_present",
	[IOASID_FAULT_R_PERMISSION] = "permission",
	[IOASID_FAULT_R_BLOCKED] = "blocked",
	[IOASID_FAULT_R_RESERVED] = "reserved",
};

const char *ioasid_fault_reason_name(uint32_t reason)
{
	return reason < ARRAY_SIZE(fault_reason_names) ? fault_reason_names[reason] : NULL;
}
