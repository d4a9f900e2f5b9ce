/*
 * sd_notify() without libsystemd, for vmunit-supervisor-steady: one datagram to $NOTIFY_SOCKET.
 * systemd reads the sender's pid from the socket credentials, so this works for the service's
 * main process (NotifyAccess=main) across the exec from vmunit-supervisor, which keeps the pid.
 */
#pragma once

/* Sends @state ("READY=1\nSTATUS=..."). Returns 0 (also when there is no $NOTIFY_SOCKET), or
 * -errno. */
int notify_send(const char *state);
