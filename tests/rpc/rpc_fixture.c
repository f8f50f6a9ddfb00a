/*
 * rpc_fixture.c - see rpc_fixture.h.  The client side uses only grpc core's public C
 * client API (channel, call, batch, pluck), independent of the server code under test.
 */
#include "rpc_fixture.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "sath/v1/auth.pb-c.h"
#include "sath/v1/user.pb-c.h"

static const sathd_method_desc login_desc = {
    "sath.v1.AuthService", "Login", "/sath.v1.AuthService/Login",
    &sath__v1__login_request__descriptor, &sath__v1__login_response__descriptor,
    SATHD_METHOD_PUBLIC, {"POST", "/api/v1/auth/login", "*", "", 200}};
static const sathd_method_desc getme_desc = {
    "sath.v1.UserService", "GetMe", "/sath.v1.UserService/GetMe",
    &sath__v1__get_me_request__descriptor, &sath__v1__user__descriptor,
    0, {"GET", "/api/v1/users/me", "", "", 200}};

int64_t fx_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int login(sathd_call *call, const void *impl, const ProtobufCMessage *req,
                 ProtobufCMessage *resp)
{
    (void)impl;
    const Sath__V1__LoginRequest *rq = (const void *)req;
    Sath__V1__LoginResponse *rs = (void *)resp;
    atomic_fetch_add(&sathd_call_app(call)->handler_calls, 1);
    if (strcmp(rq->email, "internal") == 0)
        return sathd_call_error(call, SATHD_INTERNAL, "db exploded: s3cret-detail");
    if (strcmp(rq->email, "fail") == 0)
        return SATHD_NOT_FOUND;
    if (strncmp(rq->email, "slow:", 5) == 0)
        usleep((useconds_t)atoi(rq->email + 5) * 1000);
    rs->access_token = sathd_call_printf(call, "tok-%s", rq->email);
    rs->token_type = (char *)sathd_call_request_id(call);
    rs->refresh_token = (char *)sathd_call_peer(call);
    rs->expires_in = sathd_call_remaining_ms(call) == INT64_MAX ? -1 : sathd_call_remaining_ms(call);
    return SATHD_OK;
}

static int getme(sathd_call *call, const void *impl, const ProtobufCMessage *req,
                 ProtobufCMessage *resp)
{
    (void)impl;
    (void)req;
    Sath__V1__User *u = (void *)resp;
    atomic_fetch_add(&sathd_call_app(call)->handler_calls, 1);
    const sathd_identity *id = sathd_call_identity(call);
    if (!id)
        return sathd_call_error(call, SATHD_INTERNAL, "no identity on a protected method");
    u->id = (char *)id->user_id;
    u->email = (char *)id->jti;
    return SATHD_OK;
}

static int authenticate(void *ud, sathd_call *call, const char *token, sathd_identity *out)
{
    struct sathd_app *app = ud;
    atomic_fetch_add(&app->auth_calls, 1);
    snprintf(app->last_token, sizeof app->last_token, "%s", token);
    if (strcmp(token, "slow-auth") == 0)
        usleep(400 * 1000);
    else if (strcmp(token, "good-token") != 0)
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "token rejected");
    out->user_id = "user-42";
    out->jti = sathd_call_strdup(call, "jti-1");
    out->token = sathd_call_strdup(call, token);
    return SATHD_OK;
}

static int healthy(void *ud) { return atomic_load(&((struct sathd_app *)ud)->healthy); }

void fx_global_init(void)
{
    static int done;
    if (!done) {
        if (sodium_init() < 0)
            abort();
        grpc_init();
        done = 1;
    }
}

/* Splits the FileDescriptorSet built by CMake (RPC_TEST_FDS) into entries. */
static int load_fds(fixture *f)
{
    FILE *fp = fopen(RPC_TEST_FDS, "rb");
    if (!fp)
        return -1;
    uint8_t *buf = malloc(4u << 20);
    size_t len = buf ? fread(buf, 1, 4u << 20, fp) : 0;
    fclose(fp);
    Google__Protobuf__FileDescriptorSet *set =
        buf ? google__protobuf__file_descriptor_set__unpack(NULL, len, buf) : NULL;
    free(buf);
    if (!set)
        return -1;
    f->fds = calloc(set->n_file, sizeof *f->fds);
    for (size_t i = 0; f->fds && i < set->n_file; i++) {
        size_t n = google__protobuf__file_descriptor_proto__get_packed_size(set->file[i]);
        uint8_t *d = malloc(n);
        google__protobuf__file_descriptor_proto__pack(set->file[i], d);
        f->fds[i].name = strdup(set->file[i]->name);
        f->fds[i].data = d;
        f->fds[i].len = n;
        f->n_fds++;
    }
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    return f->fds ? 0 : -1;
}

fixture *fx_start(size_t max_message_bytes) { return fx_start_ex(max_message_bytes, 0); }

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = calloc(1, 65536);
    if (buf)
        fread(buf, 1, 65535, fp);
    fclose(fp);
    return buf;
}

static grpc_channel *tls_channel(const char *target)
{
    char *root = slurp(RPC_TEST_CERT);
    if (!root)
        return NULL;
    grpc_channel_credentials *cc = grpc_ssl_credentials_create(root, NULL, NULL, NULL);
    free(root);
    grpc_arg arg = {.type = GRPC_ARG_STRING,
                    .key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG,
                    .value.string = (char *)"localhost"};
    grpc_channel_args args = {1, &arg};
    grpc_channel *ch = grpc_channel_create(target, cc, &args);
    grpc_channel_credentials_release(cc);
    return ch;
}

/* Connects the channel and waits (up to 10 s) until it is READY, so a slow first
 * connection on a loaded machine does not fail the first call with UNAVAILABLE. */
static int wait_ready(grpc_channel *ch)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    gpr_timespec end = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(10, GPR_TIMESPAN));
    grpc_connectivity_state st = grpc_channel_check_connectivity_state(ch, 1);
    int tag;
    while (st != GRPC_CHANNEL_READY) {
        grpc_channel_watch_connectivity_state(ch, st, end, cq, &tag);
        grpc_event ev = grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (!ev.success)
            break; /* deadline reached */
        st = grpc_channel_check_connectivity_state(ch, 1);
    }
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(cq);
    return st == GRPC_CHANNEL_READY ? 0 : -1;
}

fixture *fx_start_ex(size_t max_message_bytes, int tls)
{
    fx_global_init();
    fixture *f = calloc(1, sizeof *f);
    atomic_init(&f->app.healthy, 1);
    f->reg = sathd_registry_new();
    if (!f->reg || load_fds(f) != 0 ||
        sathd_registry_add(f->reg, &login_desc, login, NULL) != 0 ||
        sathd_registry_add(f->reg, &getme_desc, getme, NULL) != 0) {
        fx_stop(f);
        return NULL;
    }
    sathd_rpc_opts o = {.addr = "127.0.0.1:0", .workers = 2, .calls_per_method = 4,
                        .max_message_bytes = max_message_bytes, .max_streams = 8,
                        .tls_cert_file = tls ? RPC_TEST_CERT : NULL,
                        .tls_key_file = tls ? RPC_TEST_KEY : NULL};
    sathd_rpc_hooks h = {.ud = &f->app, .authenticate = authenticate, .healthy = healthy};
    char err[256];
    f->srv = sathd_rpc_server_new(&o, f->reg, &f->app, &h, f->fds, f->n_fds, err, sizeof err);
    if (!f->srv || sathd_rpc_server_start(f->srv) != 0) {
        fprintf(stderr, "server: %s\n", f->srv ? "start failed" : err);
        fx_stop(f);
        return NULL;
    }
    f->port = sathd_rpc_server_port(f->srv);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", f->port);
    if (tls) {
        f->ch = tls_channel(target);
    } else {
        grpc_channel_credentials *cc = grpc_insecure_credentials_create();
        f->ch = grpc_channel_create(target, cc, NULL);
        grpc_channel_credentials_release(cc);
    }
    if (!f->ch || wait_ready(f->ch) != 0) {
        fprintf(stderr, "cannot connect to %s\n", target);
        fx_stop(f);
        return NULL;
    }
    return f;
}

void fx_stop(fixture *f)
{
    if (!f)
        return;
    if (f->ch)
        grpc_channel_destroy(f->ch);
    if (f->srv) {
        sathd_rpc_server_shutdown(f->srv, 1000);
        sathd_rpc_server_free(f->srv);
    }
    sathd_registry_free(f->reg);
    for (size_t i = 0; i < f->n_fds; i++) {
        free((void *)f->fds[i].name);
        free((void *)f->fds[i].data);
    }
    free(f->fds);
    free(f);
}

static void copy_slice(char *dst, size_t size, grpc_slice s)
{
    size_t n = GRPC_SLICE_LENGTH(s);
    if (n >= size)
        n = size - 1;
    memcpy(dst, GRPC_SLICE_START_PTR(s), n);
    dst[n] = '\0';
}

void fx_call_raw(fixture *f, const char *method, const uint8_t *req, size_t len,
                 const char *const *md, int timeout_ms, rpc_result *out)
{
    memset(out, 0, sizeof *out);
    out->status = -1;
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    gpr_timespec dl = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                   gpr_time_from_millis(timeout_ms > 0 ? timeout_ms : 10000, GPR_TIMESPAN));
    grpc_slice mslice = grpc_slice_from_static_string(method);
    grpc_call *call = grpc_channel_create_call(f->ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, mslice,
                                              NULL, dl, NULL);
    grpc_metadata mds[8];
    size_t nmd = 0;
    for (size_t i = 0; md && md[i] && nmd < 8; i += 2, nmd++) {
        memset(&mds[nmd], 0, sizeof mds[nmd]);
        mds[nmd].key = grpc_slice_from_static_string(md[i]);
        mds[nmd].value = grpc_slice_from_static_string(md[i + 1]);
    }
    grpc_slice body = grpc_slice_from_copied_buffer((const char *)req, len);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&body, 1);
    grpc_slice_unref(body);
    grpc_byte_buffer *recv = NULL;
    grpc_metadata_array init_md, trailing;
    grpc_metadata_array_init(&init_md);
    grpc_metadata_array_init(&trailing);
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = nmd;
    ops[0].data.send_initial_metadata.metadata = mds;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &init_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &details;
    int tag;
    if (grpc_call_start_batch(call, ops, 6, &tag, NULL) == GRPC_CALL_OK) {
        grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        out->status = (int)status;
        copy_slice(out->details, sizeof out->details, details);
        for (size_t i = 0; i < init_md.count; i++)
            if (grpc_slice_str_cmp(init_md.metadata[i].key, "x-request-id") == 0)
                copy_slice(out->request_id, sizeof out->request_id, init_md.metadata[i].value);
        if (recv) {
            grpc_byte_buffer_reader r;
            grpc_byte_buffer_reader_init(&r, recv);
            grpc_slice all = grpc_byte_buffer_reader_readall(&r);
            grpc_byte_buffer_reader_destroy(&r);
            out->resp_len = GRPC_SLICE_LENGTH(all);
            out->resp = malloc(out->resp_len + 1);
            memcpy(out->resp, GRPC_SLICE_START_PTR(all), out->resp_len);
            out->has_resp = 1;
            grpc_slice_unref(all);
            grpc_byte_buffer_destroy(recv);
        }
    }
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&init_md);
    grpc_metadata_array_destroy(&trailing);
    grpc_byte_buffer_destroy(send);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(cq);
}

void fx_call(fixture *f, const char *method, const ProtobufCMessage *req, const char *const *md,
             int timeout_ms, rpc_result *out)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(req, buf);
    fx_call_raw(f, method, buf, n, md, timeout_ms, out);
    free(buf);
}

void rpc_result_clear(rpc_result *r)
{
    free(r->resp);
    r->resp = NULL;
}

int fx_stream_open(fixture *f, const char *method, fx_stream *st)
{
    st->cq = grpc_completion_queue_create_for_pluck(NULL);
    st->call = grpc_channel_create_call(f->ch, NULL, GRPC_PROPAGATE_DEFAULTS, st->cq,
                                        grpc_slice_from_static_string(method), NULL,
                                        gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    return fx_stream_batch(st, &op, 1, 5000);
}

int fx_stream_batch(fx_stream *st, const grpc_op *ops, size_t n, int timeout_ms)
{
    int tag;
    if (grpc_call_start_batch(st->call, ops, n, &tag, NULL) != GRPC_CALL_OK)
        return -1;
    grpc_event ev = grpc_completion_queue_pluck(
        st->cq, &tag,
        gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN)),
        NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
        grpc_call_cancel(st->call, NULL);
        grpc_completion_queue_pluck(st->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        return -1;
    }
    return ev.success ? 0 : -1;
}

int fx_stream_send(fx_stream *st, const ProtobufCMessage *m, int close)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_MESSAGE;
    ops[0].data.send_message.send_message = bb;
    ops[1].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    int rc = fx_stream_batch(st, ops, close ? 2 : 1, 5000);
    grpc_byte_buffer_destroy(bb);
    return rc;
}

int fx_stream_recv(fx_stream *st, int timeout_ms, uint8_t **data, size_t *len)
{
    grpc_byte_buffer *bb = NULL;
    grpc_metadata_array md;
    grpc_metadata_array_init(&md);
    grpc_op ops[2];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    if (!st->got_initial) {
        ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[n++].data.recv_initial_metadata.recv_initial_metadata = &md;
    }
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &bb;
    int rc = fx_stream_batch(st, ops, n, timeout_ms);
    grpc_metadata_array_destroy(&md);
    st->got_initial = 1;
    if (rc != 0)
        return -1;
    if (!bb)
        return 0;
    grpc_byte_buffer_reader r;
    grpc_byte_buffer_reader_init(&r, bb);
    grpc_slice all = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    *len = GRPC_SLICE_LENGTH(all);
    *data = malloc(*len + 1);
    memcpy(*data, GRPC_SLICE_START_PTR(all), *len);
    grpc_slice_unref(all);
    grpc_byte_buffer_destroy(bb);
    return 1;
}

int fx_stream_finish(fx_stream *st, int cancel, char *details, size_t dlen)
{
    if (cancel)
        grpc_call_cancel(st->call, NULL);
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice det = grpc_empty_slice();
    grpc_metadata_array trailing;
    grpc_metadata_array_init(&trailing);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &trailing;
    op.data.recv_status_on_client.status = &status;
    op.data.recv_status_on_client.status_details = &det;
    if (fx_stream_batch(st, &op, 1, 10000) != 0)
        status = (grpc_status_code)-1;
    if (details)
        copy_slice(details, dlen, det);
    grpc_slice_unref(det);
    grpc_metadata_array_destroy(&trailing);
    grpc_call_unref(st->call);
    grpc_completion_queue_shutdown(st->cq);
    grpc_completion_queue_pluck(st->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(st->cq);
    return (int)status;
}
