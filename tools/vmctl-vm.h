/*
 * vmctl's verbs served by a running VM's supervisor (vmctl-vm.c).
 */
#pragma once

int verb_control(int argc, char *argv[]);       /* shutdown reboot reset destroy suspend resume */
int verb_qemu_monitor_command(int argc, char *argv[]);
int verb_device(int argc, char *argv[]);        /* attach-device detach-device */
int verb_console(int argc, char *argv[]);
