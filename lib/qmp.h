/*
 * QMP (the QEMU Machine Protocol) over a unix stream socket, with json-c.
 *
 * Two layers: a pure codec (qmp_message_parse(), qmp_command_format(), the line buffer) that the
 * unit tests drive without any socket, and a small client on one fd. The client is usable
 * blocking (qmp_handshake(), qmp_execute() during start-up) and non-blocking afterwards: the
 * caller watches qmp_get_fd() for EPOLLIN in its own loop (sd-event in the supervisor) and calls
 * qmp_process(), which dispatches events and replies to qmp_execute_async() callbacks.
 * No logging, no globals, no sd-event dependency here.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"

DEFINE_CLEANUP_FUNC(json_object *, json_object_put);

/* A line longer than this is a protocol violation (QEMU's replies we use are far smaller;
 * query-qmp-schema is the only big one and we never ask for it). */
#define QMP_LINE_MAX (4U * 1024U * 1024U)

typedef enum QmpMessageType {
        QMP_MESSAGE_GREETING,           /* {"QMP": {...}} */
        QMP_MESSAGE_RETURN,             /* {"return": ..., "id": ...} */
        QMP_MESSAGE_ERROR,              /* {"error": {"class": ..., "desc": ...}, "id": ...} */
        QMP_MESSAGE_EVENT,              /* {"event": ..., "data": ..., "timestamp": ...} */
        _QMP_MESSAGE_TYPE_MAX,
        _QMP_MESSAGE_TYPE_INVALID = -EINVAL,
} QmpMessageType;

typedef struct QmpMessage {
        QmpMessageType type;
        json_object *root;              /* owned: the whole message */
        json_object *data;              /* borrowed from root: greeting's "QMP", the "return" value,
                                           the "error" object, or the event's "data" (may be NULL) */
        const char *event;              /* event name (EVENT only) */
        const char *error_class;        /* ERROR only */
        const char *error_desc;         /* ERROR only */
        uint64_t id;                    /* valid when has_id */
        bool has_id;
} QmpMessage;

/* Parses one QMP message (one line, without or with its trailing "\r\n"). Returns 0, or -EBADMSG
 * when it is not JSON or not a QMP message shape. An "id" that is not a non-negative integer is
 * ignored (has_id stays false): we only ever send integers. */
int qmp_message_parse(const char *buf, size_t len, QmpMessage *ret);
void qmp_message_done(QmpMessage *m);

/* Formats {"execute": @command, "arguments": @arguments, "id": @id} plus "\r\n". @arguments may be
 * NULL and is not consumed. */
int qmp_command_format(const char *command, json_object *arguments, uint64_t id, char **ret);

/* Maps a QMP error class to an errno: CommandNotFound -> -EOPNOTSUPP, DeviceNotFound -> -ENODEV,
 * DeviceNotActive -> -ENODEV, KVMMissingCap -> -EOPNOTSUPP, anything else -> -EIO. */
int qmp_error_class_to_errno(const char *error_class);

/* Line splitter for a byte stream. */
typedef struct QmpBuffer {
        char *data;
        size_t size;                    /* bytes held */
        size_t allocated;
} QmpBuffer;

int qmp_buffer_append(QmpBuffer *b, const void *p, size_t n);
/* Moves the first complete line (without "\r\n") into *@ret (NUL-terminated, caller frees).
 * Returns 1 if a line was taken, 0 if none is complete, -E2BIG past QMP_LINE_MAX. */
int qmp_buffer_take_line(QmpBuffer *b, char **ret);
void qmp_buffer_done(QmpBuffer *b);

/* ---- client ---- */

typedef struct Qmp Qmp;

/* @data is the event's "data" member, or NULL; borrowed for the duration of the call. */
typedef void (*QmpEventHandler)(Qmp *q, const char *event, json_object *data, void *userdata);
/* @error is 0 and @result the "return" value, or @error < 0 (the mapped QMP error class, or
 * -ECONNRESET when the connection went away first) and @desc QEMU's message or NULL. */
typedef void (*QmpReplyHandler)(Qmp *q, int error, json_object *result, const char *desc, void *userdata);

/* Takes ownership of the connected stream socket @fd (sets it non-blocking). */
int qmp_new(int fd, Qmp **ret);
/* Connects to the unix socket at @path, retrying while it does not exist yet or refuses
 * (QEMU still starting), for up to @timeout_usec. Returns -ETIMEDOUT after that. */
int qmp_connect_unix(const char *path, uint64_t timeout_usec, Qmp **ret);
Qmp *qmp_free(Qmp *q);
DEFINE_CLEANUP_FUNC(Qmp *, qmp_free);

void qmp_set_event_handler(Qmp *q, QmpEventHandler handler, void *userdata);
int qmp_get_fd(Qmp *q);

/* Blocking: reads the greeting and negotiates capabilities. Returns 0, -ETIMEDOUT, -ECONNRESET
 * when the peer closed, -EPROTO when the peer does not speak QMP. */
int qmp_handshake(Qmp *q, uint64_t timeout_usec);

/* Blocking: runs @command and waits for its reply; events and other replies arriving meanwhile
 * are dispatched. On success *@ret_result (if non-NULL) gets a reference to the "return" value.
 * On a QMP error returns qmp_error_class_to_errno() and *@ret_error_desc (if non-NULL) QEMU's
 * message. -ETIMEDOUT, -ECONNRESET as above. */
int qmp_execute(Qmp *q, const char *command, json_object *arguments, uint64_t timeout_usec,
                json_object **ret_result, char **ret_error_desc);

/* Non-blocking: sends @command; @handler (may be NULL) runs from qmp_process() with the reply. */
int qmp_execute_async(Qmp *q, const char *command, json_object *arguments,
                      QmpReplyHandler handler, void *userdata);

/* Handing the connection over across exec(): the bytes read from the socket but not dispatched
 * yet (after qmp_process(), at most the start of a line), and putting them into the new process's
 * client before its first qmp_process(). *@ret is NULL when there are none. */
int qmp_take_input(Qmp *q, char **ret, size_t *ret_size);
int qmp_put_input(Qmp *q, const void *p, size_t n);

/* Non-blocking: reads whatever is available and dispatches complete messages. Returns 0, or
 * -ECONNRESET once the peer closed (pending handlers have then been called with -ECONNRESET),
 * -EPROTO on a malformed message. */
int qmp_process(Qmp *q);
