/*
 * QMP codec and client unit tests: message classification, command formatting, line framing
 * across partial reads, and the client against a scripted peer on a socketpair (no QEMU).
 */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}\r\n"

static QmpMessage parse_ok(const char *s) {
        QmpMessage m;
        cr_assert_eq(qmp_message_parse(s, strlen(s), &m), 0, "failed to parse: %s", s);
        return m;
}

Test(qmp_codec, greeting) {
        QmpMessage m = parse_ok(GREETING);
        cr_assert_eq(m.type, QMP_MESSAGE_GREETING);
        cr_assert_not_null(m.data);
        cr_assert_not(m.has_id);
        qmp_message_done(&m);
}

Test(qmp_codec, return_with_id) {
        QmpMessage m = parse_ok("{\"return\": {}, \"id\": 42}");
        cr_assert_eq(m.type, QMP_MESSAGE_RETURN);
        cr_assert(m.has_id);
        cr_assert_eq(m.id, 42);
        cr_assert(json_object_is_type(m.data, json_type_object));
        qmp_message_done(&m);

        m = parse_ok("{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": 3}\r\n");
        json_object *v;
        cr_assert(json_object_object_get_ex(m.data, "status", &v));
        cr_assert_str_eq(json_object_get_string(v), "running");
        qmp_message_done(&m);
}

Test(qmp_codec, error) {
        QmpMessage m = parse_ok("{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", "
                                "\"desc\": \"The command foo has not been found\"}}");
        cr_assert_eq(m.type, QMP_MESSAGE_ERROR);
        cr_assert_str_eq(m.error_class, "CommandNotFound");
        cr_assert_str_eq(m.error_desc, "The command foo has not been found");
        cr_assert_eq(qmp_error_class_to_errno(m.error_class), -EOPNOTSUPP);
        qmp_message_done(&m);

        cr_assert_eq(qmp_error_class_to_errno("GenericError"), -EIO);
        cr_assert_eq(qmp_error_class_to_errno("DeviceNotFound"), -ENODEV);
        cr_assert_eq(qmp_error_class_to_errno(NULL), -EIO);
}

Test(qmp_codec, event) {
        QmpMessage m = parse_ok("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, "
                                "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}");
        cr_assert_eq(m.type, QMP_MESSAGE_EVENT);
        cr_assert_str_eq(m.event, "SHUTDOWN");
        json_object *v;
        cr_assert(json_object_object_get_ex(m.data, "reason", &v));
        cr_assert_str_eq(json_object_get_string(v), "guest-shutdown");
        qmp_message_done(&m);

        m = parse_ok("{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}");
        cr_assert_str_eq(m.event, "RESUME");
        cr_assert_null(m.data);
        qmp_message_done(&m);
}

Test(qmp_codec, rejects) {
        static const char *bad[] = {
                "", "\r\n", "not json", "[1,2]", "42", "\"str\"",
                "{}",                                           /* no known member */
                "{\"error\": \"x\"}",                          /* error must be an object */
                "{\"error\": {\"desc\": \"no class\"}}",
                "{\"QMP\": 1}",
                "{\"event\": 5}",
                "{\"return\": {}} trailing",
                "{\"return\": {}}{\"return\": {}}",            /* two messages on one line */
                "{\"return\": {",                               /* cut short */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                QmpMessage m;
                cr_assert_eq(qmp_message_parse(bad[i], strlen(bad[i]), &m), -EBADMSG, "accepted: '%s'", bad[i]);
        }
}

Test(qmp_codec, odd_ids_ignored) {
        QmpMessage m = parse_ok("{\"return\": {}, \"id\": \"abc\"}");
        cr_assert_not(m.has_id);
        qmp_message_done(&m);
        m = parse_ok("{\"return\": {}, \"id\": -1}");
        cr_assert_not(m.has_id);
        qmp_message_done(&m);
}

Test(qmp_codec, format) {
        _cleanup_free_ char *s = NULL, *t = NULL;

        cr_assert_eq(qmp_command_format("qmp_capabilities", NULL, 1, &s), 0);
        cr_assert_str_eq(s, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");

        json_object *args = json_object_new_object();
        json_object_object_add(args, "path", json_object_new_string("/a/b,c\"d\n"));
        cr_assert_eq(qmp_command_format("human-monitor-command", args, 9, &t), 0);
        cr_assert_str_eq(t, "{\"execute\":\"human-monitor-command\",\"arguments\":{\"path\":\"/a/b,c\\\"d\\n\"},\"id\":9}\r\n");
        /* not consumed */
        cr_assert_eq(json_object_put(args), 1);

        /* Whatever we format parses back as one message on one line. */
        cr_assert_eq(strchr(t, '\n'), t + strlen(t) - 1);

        json_object *arr = json_object_new_array();
        char *u = NULL;
        cr_assert_eq(qmp_command_format("x", arr, 1, &u), -EINVAL);
        cr_assert_null(u);
        json_object_put(arr);
}

Test(qmp_codec, line_buffer) {
        QmpBuffer b = {};
        char *line = NULL;

        cr_assert_eq(qmp_buffer_append(&b, "{\"ret", strlen("{\"ret")), 0);
        cr_assert_eq(qmp_buffer_take_line(&b, &line), 0);
        cr_assert_eq(qmp_buffer_append(&b, "urn\": {}}\r\n{\"event\"", strlen("urn\": {}}\r\n{\"event\"")), 0);
        cr_assert_eq(qmp_buffer_take_line(&b, &line), 1);
        cr_assert_str_eq(line, "{\"return\": {}}");
        free(line);
        cr_assert_eq(qmp_buffer_take_line(&b, &line), 0);
        cr_assert_eq(qmp_buffer_append(&b, ": \"X\"}\n\n", strlen(": \"X\"}\n\n")), 0);
        cr_assert_eq(qmp_buffer_take_line(&b, &line), 1);
        cr_assert_str_eq(line, "{\"event\": \"X\"}");
        free(line);
        cr_assert_eq(qmp_buffer_take_line(&b, &line), 1);
        cr_assert_str_eq(line, "");
        free(line);
        cr_assert_eq(qmp_buffer_take_line(&b, &line), 0);
        cr_assert_eq(b.size, 0);
        qmp_buffer_done(&b);
}

Test(qmp_codec, line_too_long) {
        QmpBuffer b = {};
        char *chunk = malloc(1024 * 1024);
        char *line = NULL;
        int r = 0;

        memset(chunk, 'a', 1024 * 1024);
        for (int i = 0; i < 6 && r == 0; i++)
                r = qmp_buffer_append(&b, chunk, 1024 * 1024);
        if (r == 0)
                r = qmp_buffer_take_line(&b, &line);
        cr_assert_eq(r, -E2BIG);
        free(chunk);
        qmp_buffer_done(&b);
}

/* ---- client over a socketpair: the test plays QEMU ---- */

static int peer_fd = -1;
static Qmp *client;

static void setup_pair(void) {
        int sv[2];
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        peer_fd = sv[1];
        cr_assert_eq(qmp_new(sv[0], &client), 0);
}

static void teardown_pair(void) {
        client = qmp_free(client);
        if (peer_fd >= 0)
                close(peer_fd);
        peer_fd = -1;
}

static void peer_send(const char *s) {
        cr_assert_eq(write(peer_fd, s, strlen(s)), (ssize_t) strlen(s));
}

static char *peer_recv(void) {
        static char buf[4096];
        ssize_t k = read(peer_fd, buf, sizeof(buf) - 1);
        cr_assert_gt(k, 0);
        buf[k] = 0;
        return buf;
}

typedef struct Seen {
        char events[8][32];
        int n_events;
        int reply_error;
        char reply[256];
        int n_replies;
} Seen;

static void on_event(Qmp *q, const char *event, json_object *data, void *userdata) {
        Seen *s = userdata;
        if (s->n_events < 8)
                snprintf(s->events[s->n_events++], 32, "%s", event);
}

static void on_reply(Qmp *q, int error, json_object *result, const char *desc, void *userdata) {
        Seen *s = userdata;
        s->n_replies++;
        s->reply_error = error;
        snprintf(s->reply, sizeof(s->reply), "%s", result ? json_object_to_json_string(result) : (desc ?: "-"));
}

Test(qmp_client, handshake_and_execute, .init = setup_pair, .fini = teardown_pair) {
        Seen seen = {};
        json_object *result = NULL;
        char *desc = NULL;

        qmp_set_event_handler(client, on_event, &seen);
        /* Everything the peer says fits in the socket buffer, so it can all be queued first. */
        peer_send(GREETING "{\"return\": {}, \"id\": 1}\r\n");
        cr_assert_eq(qmp_handshake(client, 1000000), 0);
        cr_assert_str_eq(peer_recv(), "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");

        /* An event before the reply is dispatched, the reply is returned. */
        peer_send("{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n"
                  "{\"return\": {\"status\": \"running\"}, \"id\": 2}\r\n");
        cr_assert_eq(qmp_execute(client, "query-status", NULL, 1000000, &result, NULL), 0);
        cr_assert_eq(seen.n_events, 1);
        cr_assert_str_eq(seen.events[0], "RESUME");
        cr_assert_str_eq(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN), "{\"status\":\"running\"}");
        json_object_put(result);
        peer_recv();

        peer_send("{\"error\": {\"class\": \"GenericError\", \"desc\": \"nope\"}, \"id\": 3}\r\n");
        cr_assert_eq(qmp_execute(client, "cont", NULL, 1000000, NULL, &desc), -EIO);
        cr_assert_str_eq(desc, "nope");
        free(desc);
        peer_recv();
}

Test(qmp_client, timeout_then_late_reply_dropped, .init = setup_pair, .fini = teardown_pair) {
        Seen seen = {};

        cr_assert_eq(qmp_execute(client, "query-status", NULL, 20000, NULL, NULL), -ETIMEDOUT);
        peer_recv();
        cr_assert_eq(qmp_execute_async(client, "system_powerdown", NULL, on_reply, &seen), 0);
        peer_recv();
        /* The late reply to id 1 must not be taken for id 2's. */
        peer_send("{\"return\": {\"late\": true}, \"id\": 1}\r\n");
        cr_assert_eq(qmp_process(client), 0);
        cr_assert_eq(seen.n_replies, 0);
        peer_send("{\"return\": {}, \"id\": 2}\r\n");
        cr_assert_eq(qmp_process(client), 0);
        cr_assert_eq(seen.n_replies, 1);
        cr_assert_eq(seen.reply_error, 0);
}

Test(qmp_client, async_and_eof, .init = setup_pair, .fini = teardown_pair) {
        Seen seen = {};

        qmp_set_event_handler(client, on_event, &seen);
        cr_assert_eq(qmp_execute_async(client, "system_powerdown", NULL, on_reply, &seen), 0);
        cr_assert_str_eq(peer_recv(), "{\"execute\":\"system_powerdown\",\"id\":1}\r\n");
        cr_assert_eq(qmp_execute_async(client, "quit", NULL, on_reply, &seen), 0);
        peer_recv();

        /* Nothing there yet: non-blocking, nothing dispatched. */
        cr_assert_eq(qmp_process(client), 0);
        cr_assert_eq(seen.n_replies, 0);

        /* A reply split over two writes. */
        peer_send("{\"return\": {}, \"i");
        cr_assert_eq(qmp_process(client), 0);
        cr_assert_eq(seen.n_replies, 0);
        peer_send("d\": 1}\r\n{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}, "
                  "\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n");
        cr_assert_eq(qmp_process(client), 0);
        cr_assert_eq(seen.n_replies, 1);
        cr_assert_eq(seen.reply_error, 0);
        cr_assert_eq(seen.n_events, 1);
        cr_assert_str_eq(seen.events[0], "SHUTDOWN");

        /* QEMU exits before answering quit: the event before EOF still counts, the pending
         * handler hears -ECONNRESET. */
        peer_send("{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n");
        close(peer_fd);
        peer_fd = -1;
        cr_assert_eq(qmp_process(client), -ECONNRESET);
        cr_assert_eq(seen.n_events, 2);
        cr_assert_str_eq(seen.events[1], "STOP");
        cr_assert_eq(seen.n_replies, 2);
        cr_assert_eq(seen.reply_error, -ECONNRESET);
        cr_assert_eq(qmp_execute_async(client, "cont", NULL, NULL, NULL), -ECONNRESET);
}

Test(qmp_client, not_qmp, .init = setup_pair, .fini = teardown_pair) {
        peer_send("SSH-2.0-OpenSSH_9.2\r\n");
        cr_assert_eq(qmp_handshake(client, 1000000), -EPROTO);
}

Test(qmp_client, peer_closes_during_handshake, .init = setup_pair, .fini = teardown_pair) {
        close(peer_fd);
        peer_fd = -1;
        cr_assert_eq(qmp_handshake(client, 1000000), -ECONNRESET);
}

Test(qmp_client, connect_missing_socket_times_out) {
        Qmp *q = NULL;
        cr_assert_eq(qmp_connect_unix("/nonexistent/vmunit-test/qmp.sock", 30000, &q), -ETIMEDOUT);
        cr_assert_null(q);
}

/* The exec hand-over: complete lines are dispatched by the old client, a partial one moves to a
 * new client on the same fd and completes there. */
Test(qmp_client, hand_over_partial_input, .init = setup_pair, .fini = teardown_pair) {
        Seen old_seen = {}, new_seen = {};
        Qmp *next = NULL;
        char *input = NULL;
        size_t size = 0;
        int fd;

        qmp_set_event_handler(client, on_event, &old_seen);
        peer_send("{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n"
                  "{\"event\": \"SHUT");
        cr_assert_eq(qmp_process(client), 0);
        cr_assert_eq(old_seen.n_events, 1);
        cr_assert_str_eq(old_seen.events[0], "RESUME");

        cr_assert_eq(qmp_take_input(client, &input, &size), 0);
        cr_assert_eq(size, strlen("{\"event\": \"SHUT"));
        cr_assert_eq(memcmp(input, "{\"event\": \"SHUT", size), 0);

        fd = dup(qmp_get_fd(client));
        cr_assert_geq(fd, 0);
        cr_assert_eq(qmp_new(fd, &next), 0);
        qmp_set_event_handler(next, on_event, &new_seen);
        cr_assert_eq(qmp_put_input(next, input, size), 0);
        free(input);
        peer_send("DOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}, "
                  "\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}}\r\n");
        cr_assert_eq(qmp_process(next), 0);
        cr_assert_eq(new_seen.n_events, 1);
        cr_assert_str_eq(new_seen.events[0], "SHUTDOWN");
        cr_assert_eq(old_seen.n_events, 1);

        /* Nothing left: an empty hand-over. */
        cr_assert_eq(qmp_take_input(next, &input, &size), 0);
        cr_assert_null(input);
        cr_assert_eq(size, 0);
        qmp_free(next);
}
