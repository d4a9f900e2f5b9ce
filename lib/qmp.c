/*
 * QMP codec and client: see qmp.h for the contract. The codec half is pure; the client half
 * owns one non-blocking socket and never logs. Replies are matched by the integer "id" we put
 * on every command, so a reply to a forgotten command cannot be taken for another one's.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

/* ---- codec ---- */

void qmp_message_done(QmpMessage *m) {
        if (m->root)
                json_object_put(m->root);
        *m = (QmpMessage) { .type = _QMP_MESSAGE_TYPE_INVALID };
}

static const char *object_get_string(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int qmp_message_parse(const char *buf, size_t len, QmpMessage *ret) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        json_tokener *tok;
        QmpMessage m = { .type = _QMP_MESSAGE_TYPE_INVALID };
        json_object *v;

        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--;
        if (len == 0 || len > QMP_LINE_MAX)
                return -EBADMSG;

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, buf, (int) len);
        /* Trailing garbage after the object, or an object cut short, is not one message. */
        if (!root || json_tokener_get_error(tok) != json_tokener_success ||
            (size_t) json_tokener_get_parse_end(tok) != len) {
                json_tokener_free(tok);
                return -EBADMSG;
        }
        json_tokener_free(tok);
        if (!json_object_is_type(root, json_type_object))
                return -EBADMSG;

        if (json_object_object_get_ex(root, "id", &v) && json_object_is_type(v, json_type_int) &&
            json_object_get_int64(v) >= 0) {
                m.id = (uint64_t) json_object_get_int64(v);
                m.has_id = true;
        }

        if (json_object_object_get_ex(root, "QMP", &v)) {
                if (!json_object_is_type(v, json_type_object))
                        return -EBADMSG;
                m.type = QMP_MESSAGE_GREETING;
                m.data = v;
        } else if (json_object_object_get_ex(root, "return", &v)) {
                m.type = QMP_MESSAGE_RETURN;
                m.data = v;
        } else if (json_object_object_get_ex(root, "error", &v)) {
                if (!json_object_is_type(v, json_type_object))
                        return -EBADMSG;
                m.type = QMP_MESSAGE_ERROR;
                m.data = v;
                m.error_class = object_get_string(v, "class");
                m.error_desc = object_get_string(v, "desc");
                if (!m.error_class)
                        return -EBADMSG;
        } else if ((m.event = object_get_string(root, "event"))) {
                m.type = QMP_MESSAGE_EVENT;
                if (json_object_object_get_ex(root, "data", &v))
                        m.data = v;
        } else
                return -EBADMSG;

        m.root = TAKE_PTR(root);
        *ret = m;
        return 0;
}

int qmp_command_format(const char *command, json_object *arguments, uint64_t id, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *s;
        char *out;

        assert(command);

        if (id > INT64_MAX)
                return -ERANGE;
        if (arguments && !json_object_is_type(arguments, json_type_object))
                return -EINVAL;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_object_object_add(o, "execute", json_object_new_string(command)) < 0)
                return -ENOMEM;
        if (arguments && json_object_object_add(o, "arguments", json_object_get(arguments)) < 0)
                return -ENOMEM;
        if (json_object_object_add(o, "id", json_object_new_int64((int64_t) id)) < 0)
                return -ENOMEM;

        /* One line: QMP's framing on our side is "one JSON value", but a newline inside would
         * still be legal JSON whitespace; PLAIN keeps the wire readable in straces. */
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        if (asprintf(&out, "%s\r\n", s) < 0)
                return -ENOMEM;
        *ret = out;
        return 0;
}

int qmp_error_class_to_errno(const char *error_class) {
        if (!error_class)
                return -EIO;
        if (streq(error_class, "CommandNotFound") || streq(error_class, "KVMMissingCap"))
                return -EOPNOTSUPP;
        if (streq(error_class, "DeviceNotFound") || streq(error_class, "DeviceNotActive"))
                return -ENODEV;
        return -EIO;
}

int qmp_buffer_append(QmpBuffer *b, const void *p, size_t n) {
        if (n == 0)
                return 0;
        if (b->size + n > QMP_LINE_MAX + 2 && !memchr(p, '\n', n) && !memchr(b->data ?: "", '\n', b->size))
                return -E2BIG;
        if (b->size + n + 1 > b->allocated) {
                size_t a = MAX(b->allocated * 2, b->size + n + 1);
                char *d = realloc(b->data, MAX(a, (size_t) 256));
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->allocated = MAX(a, (size_t) 256);
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
        b->data[b->size] = 0;
        return 0;
}

int qmp_buffer_take_line(QmpBuffer *b, char **ret) {
        char *nl, *line;
        size_t l, used;

        if (b->size == 0)
                return 0;
        nl = memchr(b->data, '\n', b->size);
        if (!nl)
                return b->size > QMP_LINE_MAX ? -E2BIG : 0;

        used = (size_t) (nl - b->data) + 1;
        l = used - 1;
        if (l > 0 && b->data[l - 1] == '\r')
                l--;
        if (l > QMP_LINE_MAX)
                return -E2BIG;
        line = strndup(b->data, l);
        if (!line)
                return -ENOMEM;
        memmove(b->data, b->data + used, b->size - used);
        b->size -= used;
        b->data[b->size] = 0;
        *ret = line;
        return 1;
}

void qmp_buffer_done(QmpBuffer *b) {
        free(b->data);
        *b = (QmpBuffer) {};
}

/* ---- client ---- */

typedef struct QmpPending {
        uint64_t id;
        QmpReplyHandler handler;
        void *userdata;
        struct QmpPending *next;
} QmpPending;

struct Qmp {
        int fd;
        QmpBuffer in;
        uint64_t next_id;
        QmpPending *pending;            /* in send order: QEMU answers in order */
        QmpEventHandler event_handler;
        void *event_userdata;
        bool eof;
        /* Set while qmp_execute() waits: the reply it wants is stored here, not dispatched. */
        uint64_t wait_id;
        bool waiting;
        QmpMessage wait_reply;
        bool wait_done;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

int qmp_new(int fd, Qmp **ret) {
        Qmp *q;
        int flags;

        assert(fd >= 0);

        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        q = new0(Qmp, 1);
        if (!q)
                return -ENOMEM;
        q->fd = fd;
        q->next_id = 1;
        q->wait_reply.type = _QMP_MESSAGE_TYPE_INVALID;
        *ret = q;
        return 0;
}

int qmp_connect_unix(const char *path, uint64_t timeout_usec, Qmp **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint64_t deadline = now_usec() + timeout_usec;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        for (;;) {
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0) {
                        r = qmp_new(fd, ret);
                        if (r < 0)
                                return r;
                        TAKE_FD(fd);
                        return 0;
                }
                if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)
                        return -errno;
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                (void) usleep(5000);
        }
}

static void pending_fail_all(Qmp *q, int error) {
        while (q->pending) {
                QmpPending *p = q->pending;
                q->pending = p->next;
                if (p->handler)
                        p->handler(q, error, NULL, NULL, p->userdata);
                free(p);
        }
}

Qmp *qmp_free(Qmp *q) {
        if (!q)
                return NULL;
        /* Handlers are told, so that whoever waits for a reply is not left hanging. */
        pending_fail_all(q, -ECONNRESET);
        qmp_buffer_done(&q->in);
        qmp_message_done(&q->wait_reply);
        if (q->fd >= 0)
                (void) close(q->fd);
        free(q);
        return NULL;
}

void qmp_set_event_handler(Qmp *q, QmpEventHandler handler, void *userdata) {
        q->event_handler = handler;
        q->event_userdata = userdata;
}

int qmp_get_fd(Qmp *q) {
        return q->fd;
}

int qmp_take_input(Qmp *q, char **ret, size_t *ret_size) {
        char *p = NULL;

        if (q->in.size > 0) {
                p = malloc(q->in.size);
                if (!p)
                        return -ENOMEM;
                memcpy(p, q->in.data, q->in.size);
        }
        *ret = p;
        *ret_size = q->in.size;
        q->in.size = 0;
        return 0;
}

int qmp_put_input(Qmp *q, const void *p, size_t n) {
        return qmp_buffer_append(&q->in, p, n);
}

static int write_all(Qmp *q, const char *s, uint64_t timeout_usec) {
        size_t n = strlen(s);
        uint64_t deadline = now_usec() + timeout_usec;

        /* Commands are a few hundred bytes and the socket buffer is empty in practice, so this
         * does not block the caller's loop; poll() only covers a peer that stopped reading. */
        while (n > 0) {
                ssize_t k = send(q->fd, s, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EPIPE || errno == ECONNRESET)
                                return -ECONNRESET;
                        if (errno != EAGAIN)
                                return -errno;
                        uint64_t t = now_usec();
                        if (t >= deadline)
                                return -ETIMEDOUT;
                        struct pollfd p = { .fd = q->fd, .events = POLLOUT };
                        if (poll(&p, 1, (int) ((deadline - t + 999) / 1000)) < 0 && errno != EINTR)
                                return -errno;
                        continue;
                }
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

static int send_command(Qmp *q, const char *command, json_object *arguments, uint64_t *ret_id) {
        _cleanup_free_ char *s = NULL;
        uint64_t id = q->next_id++;
        int r;

        if (q->eof)
                return -ECONNRESET;
        r = qmp_command_format(command, arguments, id, &s);
        if (r < 0)
                return r;
        r = write_all(q, s, 5U * 1000000U);
        if (r < 0)
                return r;
        *ret_id = id;
        return 0;
}

/* Takes @m. */
static int dispatch(Qmp *q, QmpMessage *m) {
        switch (m->type) {
        case QMP_MESSAGE_EVENT:
                if (q->event_handler)
                        q->event_handler(q, m->event, m->data, q->event_userdata);
                qmp_message_done(m);
                return 0;

        case QMP_MESSAGE_RETURN:
        case QMP_MESSAGE_ERROR:
                if (!m->has_id) {
                        /* QEMU replies without an id only to input it could not parse: ours. */
                        qmp_message_done(m);
                        return -EPROTO;
                }
                if (q->waiting && m->id == q->wait_id) {
                        qmp_message_done(&q->wait_reply);
                        q->wait_reply = *m;
                        *m = (QmpMessage) { .type = _QMP_MESSAGE_TYPE_INVALID };
                        q->wait_done = true;
                        return 0;
                }
                for (QmpPending **pp = &q->pending; *pp; pp = &(*pp)->next) {
                        QmpPending *p = *pp;
                        if (p->id != m->id)
                                continue;
                        *pp = p->next;
                        if (p->handler) {
                                if (m->type == QMP_MESSAGE_RETURN)
                                        p->handler(q, 0, m->data, NULL, p->userdata);
                                else
                                        p->handler(q, qmp_error_class_to_errno(m->error_class), NULL,
                                                   m->error_desc, p->userdata);
                        }
                        free(p);
                        break;
                }
                /* A reply nobody waits for (a blocking call that timed out): dropped. */
                qmp_message_done(m);
                return 0;

        case QMP_MESSAGE_GREETING:
                /* Only valid as the first message, which qmp_handshake() reads itself. */
                qmp_message_done(m);
                return -EPROTO;

        case _QMP_MESSAGE_TYPE_MAX:
        case _QMP_MESSAGE_TYPE_INVALID:
        default:
                break;
        }
        qmp_message_done(m);
        return -EPROTO;
}

/* Reads what is available into the buffer. Returns 1 if bytes came, 0 on EAGAIN, -ECONNRESET on EOF. */
static int fill(Qmp *q) {
        char buf[16384];
        ssize_t k;
        int r;

        if (q->eof)
                return -ECONNRESET;
        k = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (k < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                if (errno == ECONNRESET) {
                        q->eof = true;
                        return -ECONNRESET;
                }
                return -errno;
        }
        if (k == 0) {
                q->eof = true;
                return -ECONNRESET;
        }
        r = qmp_buffer_append(&q->in, buf, (size_t) k);
        if (r < 0)
                return r;
        return 1;
}

/* Parses and dispatches every complete line; with @ret_greeting, the first line must be the
 * greeting and is handed out instead. */
static int drain_lines(Qmp *q, QmpMessage *ret_greeting) {
        for (;;) {
                _cleanup_free_ char *line = NULL;
                QmpMessage m;
                int r;

                r = qmp_buffer_take_line(&q->in, &line);
                if (r <= 0)
                        return r;
                if (strspn(line, " \t\r") == strlen(line))
                        continue;
                r = qmp_message_parse(line, strlen(line), &m);
                if (r < 0)
                        return -EPROTO;
                if (ret_greeting) {
                        if (m.type != QMP_MESSAGE_GREETING) {
                                qmp_message_done(&m);
                                return -EPROTO;
                        }
                        *ret_greeting = m;
                        return 1;
                }
                r = dispatch(q, &m);
                if (r < 0)
                        return r;
        }
}

int qmp_process(Qmp *q) {
        int r;

        for (;;) {
                r = fill(q);
                if (r == -ECONNRESET) {
                        /* Whatever complete lines came before the EOF still count (the
                         * SHUTDOWN event right before QEMU exits, typically). */
                        (void) drain_lines(q, NULL);
                        pending_fail_all(q, -ECONNRESET);
                        return -ECONNRESET;
                }
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
        }
        return drain_lines(q, NULL);
}

static int wait_readable(Qmp *q, uint64_t deadline) {
        uint64_t t = now_usec();
        struct pollfd p = { .fd = q->fd, .events = POLLIN };
        int k;

        if (t >= deadline)
                return -ETIMEDOUT;
        k = poll(&p, 1, (int) MIN((deadline - t + 999) / 1000, (uint64_t) INT32_MAX));
        if (k < 0)
                return errno == EINTR ? 0 : -errno;
        if (k == 0)
                return -ETIMEDOUT;
        return 0;
}

int qmp_handshake(Qmp *q, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;
        QmpMessage greeting = { .type = _QMP_MESSAGE_TYPE_INVALID };
        int r;

        for (;;) {
                r = drain_lines(q, &greeting);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                r = wait_readable(q, deadline);
                if (r < 0)
                        return r;
                r = fill(q);
                if (r < 0)
                        return r;
        }
        qmp_message_done(&greeting);

        uint64_t left = deadline > now_usec() ? deadline - now_usec() : 1;
        return qmp_execute(q, "qmp_capabilities", NULL, left, NULL, NULL);
}

int qmp_execute(Qmp *q, const char *command, json_object *arguments, uint64_t timeout_usec,
                json_object **ret_result, char **ret_error_desc) {
        uint64_t deadline = now_usec() + timeout_usec;
        uint64_t id;
        int r;

        assert(!q->waiting);            /* not re-entrant from an event handler */

        r = send_command(q, command, arguments, &id);
        if (r < 0)
                return r;

        q->waiting = true;
        q->wait_id = id;
        q->wait_done = false;
        for (;;) {
                r = drain_lines(q, NULL);
                if (r < 0 || q->wait_done)
                        break;
                r = wait_readable(q, deadline);
                if (r < 0)
                        break;
                r = fill(q);
                if (r < 0)
                        break;
        }
        q->waiting = false;
        if (!q->wait_done)
                return r < 0 ? r : -EIO;

        QmpMessage m = q->wait_reply;
        q->wait_reply = (QmpMessage) { .type = _QMP_MESSAGE_TYPE_INVALID };
        if (m.type == QMP_MESSAGE_ERROR) {
                r = qmp_error_class_to_errno(m.error_class);
                if (ret_error_desc) {
                        *ret_error_desc = strdup(m.error_desc ?: m.error_class);
                        if (!*ret_error_desc)
                                r = -ENOMEM;
                }
                qmp_message_done(&m);
                return r;
        }
        if (ret_result)
                *ret_result = json_object_get(m.data);
        qmp_message_done(&m);
        return 0;
}

int qmp_execute_async(Qmp *q, const char *command, json_object *arguments,
                      QmpReplyHandler handler, void *userdata) {
        QmpPending *p, **tail;
        uint64_t id;
        int r;

        p = new0(QmpPending, 1);
        if (!p)
                return -ENOMEM;
        r = send_command(q, command, arguments, &id);
        if (r < 0) {
                free(p);
                return r;
        }
        *p = (QmpPending) { .id = id, .handler = handler, .userdata = userdata };
        for (tail = &q->pending; *tail; tail = &(*tail)->next)
                ;
        *tail = p;
        return 0;
}
