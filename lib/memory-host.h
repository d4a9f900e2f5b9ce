/*
 * What a domain's memory needs from the host, checked when the supervisor starts it (the converter
 * does not look at the host): hugetlbfs mounts of the right page sizes, /dev/sgx_vepc for SGX EPC,
 * and <numatune mode='restrictive'>, which vmunit cannot apply yet.
 */
#pragma once

#include "model.h"
#include "qemu-argv.h"

/* Returns 0 when the host has it all; otherwise -errno with "LINE: <element>: what is missing" in
 * *@ret_error (-ENOMEM without). */
int memory_host_check(const VmDef *def, const QemuBuildOptions *opts, char **ret_error);
