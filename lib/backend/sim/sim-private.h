/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_SIM_PRIVATE_H
#define IOASID_SIM_PRIVATE_H

#include <stdio.h>

#include "../backend.h"

struct sim_ctx {
	char profile_name[256];
};

#endif
