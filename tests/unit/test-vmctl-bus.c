/*
 * vmctl's pure bus helpers (tools/vmctl-bus.c): -c URI parsing, D-Bus error -> exit code, the
 * local name check, state words.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>

#include "bus-name.h"
#include "vmctl.h"

/* vmctl.c's globals, which vmctl-bus.c reads */
bool arg_json, arg_lax, arg_user, arg_quiet, arg_no_pager, arg_all, arg_inactive, arg_security_info, arg_disable,
        arg_no_block, arg_name;
const char *arg_host;
uint64_t arg_timeout_usec = VMCTL_DEFAULT_TIMEOUT_USEC;

static void expect_uri(const char *uri, BusTransport transport, const char *host) {
        BusTransport t = _BUS_TRANSPORT_INVALID;
        const char *reason = NULL;
        char *h = (char *) "unset";

        cr_assert_eq(vmctl_parse_uri(uri, &t, &h, &reason), 0, "refused '%s': %s", uri, reason);
        cr_expect_eq(t, transport, "transport of '%s'", uri);
        if (host)
                cr_expect_str_eq(h, host);
        else
                cr_expect_null(h);
        free(h);
}

Test(vmctl_uri, accepted) {
        expect_uri("qemu:///system", BUS_TRANSPORT_SYSTEM, NULL);
        expect_uri("qemu:///session", BUS_TRANSPORT_USER, NULL);
        expect_uri("qemu+ssh://host/system", BUS_TRANSPORT_REMOTE, "host");
        expect_uri("qemu+ssh://root@vm-host.example.org/system", BUS_TRANSPORT_REMOTE, "root@vm-host.example.org");
        expect_uri("qemu+ssh://me@10.0.0.1:2222/system", BUS_TRANSPORT_REMOTE, "me@10.0.0.1:2222");
}

Test(vmctl_uri, refused) {
        static const char * const bad[] = {
                "", "qemu://system", "qemu:///", "qemu:///system/", "qemu:///embed", "xen:///system",
                "qemu+tcp://host/system", "qemu+ssh://host/session", "qemu+ssh:///system", "qemu+ssh://host",
                "qemu+ssh://host/system?keyfile=x", "qemu+ssh://-oProxyCommand=x/system", "qemu+ssh://a b/system",
                "qemu+ssh://host;rm/system", "qemu+ssh://@host/system", "qemu+ssh://h$x/system",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                BusTransport t;
                const char *reason = NULL;
                char *h = NULL;

                cr_expect_eq(vmctl_parse_uri(bad[i], &t, &h, &reason), -EINVAL, "accepted '%s'", bad[i]);
                cr_expect_not_null(reason, "no reason for '%s'", bad[i]);
                cr_expect_null(h);
        }
}

Test(vmctl_exit, error_names) {
        cr_expect_eq(vmctl_exit_status(VMUNIT_ERROR_NO_SUCH_DOMAIN, -EIO), EXIT_NO_SUCH_DOMAIN);
        cr_expect_eq(vmctl_exit_status(VMUNIT_ERROR_ACCESS_DENIED, -EIO), EXIT_ACCESS_DENIED);
        cr_expect_eq(vmctl_exit_status("org.freedesktop.DBus.Error.AccessDenied", -EACCES), EXIT_ACCESS_DENIED);
        cr_expect_eq(vmctl_exit_status("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", -EIO),
                     EXIT_ACCESS_DENIED);
        cr_expect_eq(vmctl_exit_status("org.freedesktop.PolicyKit1.Error.NotAuthorized", -EIO), EXIT_ACCESS_DENIED);
        cr_expect_eq(vmctl_exit_status(VMUNIT_ERROR_INVALID_XML, -EIO), EXIT_FAILURE);
        cr_expect_eq(vmctl_exit_status(VMUNIT_ERROR_DOMAIN_ACTIVE, -EIO), EXIT_FAILURE);
        cr_expect_eq(vmctl_exit_status(VMUNIT_ERROR_INVALID_NAME, -EINVAL), EXIT_FAILURE);
        cr_expect_eq(vmctl_exit_status("org.freedesktop.DBus.Error.ServiceUnknown", -EHOSTUNREACH), EXIT_FAILURE);
        cr_expect_eq(vmctl_exit_status("org.freedesktop.DBus.Error.NoReply", -ETIMEDOUT), EXIT_FAILURE);
        /* without a name, the errno decides */
        cr_expect_eq(vmctl_exit_status(NULL, -EACCES), EXIT_ACCESS_DENIED);
        cr_expect_eq(vmctl_exit_status(NULL, -EPERM), EXIT_ACCESS_DENIED);
        cr_expect_eq(vmctl_exit_status(NULL, -ENOENT), EXIT_FAILURE);
        /* the codes are the documented ones */
        cr_expect_eq(EXIT_USAGE, 2);
        cr_expect_eq(EXIT_NO_SUCH_DOMAIN, 3);
        cr_expect_eq(EXIT_ACCESS_DENIED, 4);
}

Test(vmctl_names, local_check, .init = cr_redirect_stderr) {
        char long_name[302];

        cr_expect_eq(vmctl_check_name("web-01"), 0);
        cr_expect_eq(vmctl_check_name("it's \"quoted\""), 0);
        cr_expect_eq(vmctl_check_name("caf\xc3\xa9"), 0);
        cr_expect_eq(vmctl_check_name(""), EXIT_USAGE);
        cr_expect_eq(vmctl_check_name("a/b"), EXIT_USAGE);
        cr_expect_eq(vmctl_check_name(".."), EXIT_USAGE);
        cr_expect_eq(vmctl_check_name("caf\xe9"), EXIT_USAGE);
        cr_expect_eq(vmctl_check_name("tab\there"), EXIT_USAGE);
        memset(long_name, 'x', 300);
        long_name[300] = 0;
        cr_expect_eq(vmctl_check_name(long_name), EXIT_USAGE);
        fflush(stderr);
        cr_expect_stderr_eq_str("vmctl: invalid domain name '': empty\n"
                                "vmctl: invalid domain name 'a/b': contains '/'\n"
                                "vmctl: invalid domain name '..': starts with '.'\n"
                                "vmctl: invalid domain name: not valid UTF-8\n"
                                "vmctl: invalid domain name 'tab\there': contains control characters\n"
                                "vmctl: invalid domain name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': "
                                "longer than 200 bytes\n");
}

Test(vmctl_state, words) {
        cr_expect_str_eq(vmctl_state_word("active", "running"), "running");
        cr_expect_str_eq(vmctl_state_word("reloading", "reload"), "running");
        cr_expect_str_eq(vmctl_state_word("activating", "start"), "starting");
        cr_expect_str_eq(vmctl_state_word("deactivating", "stop-sigterm"), "shutting-down");
        cr_expect_str_eq(vmctl_state_word("failed", "failed"), "failed");
        cr_expect_str_eq(vmctl_state_word("inactive", "dead"), "shut off");
}
