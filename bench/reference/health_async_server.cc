// health_async_server.cc - reference point for docs/performance.md: grpc.health.v1
// Health/Check served by grpc++'s asynchronous API, the fastest way grpc++ offers.
//
// Built and run only by scripts/bench (never by the normal build: the project is C and
// does not depend on grpc++).  Usage: health_async_server 127.0.0.1:PORT [threads]
// Each of `threads` (default 2, like SATH_GRPC_WORKERS=2) drives its own completion
// queue; every queue keeps kPrePosted Check calls requested so accepting never waits on
// one outstanding request.  Answers SERVING to every Check.  Stops on SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

namespace {

constexpr int kPrePosted = 64;

// One Check call: requested, then answered, then deleted.  The tag is the object.
class CallData {
  public:
    CallData(Health::AsyncService *svc, grpc::ServerCompletionQueue *cq)
        : svc_(svc), cq_(cq), responder_(&ctx_) {
        svc_->RequestCheck(&ctx_, &req_, &responder_, cq_, cq_, this);
    }
    // Advances on a completion; `ok` false means the queue is shutting down.
    void Proceed(bool ok) {
        if (!answered_ && ok) {
            new CallData(svc_, cq_);  // keep the number of requested calls constant
            resp_.set_status(HealthCheckResponse::SERVING);
            answered_ = true;
            responder_.Finish(resp_, grpc::Status::OK, this);
            return;
        }
        delete this;
    }

  private:
    Health::AsyncService *svc_;
    grpc::ServerCompletionQueue *cq_;
    grpc::ServerContext ctx_;
    HealthCheckRequest req_;
    HealthCheckResponse resp_;
    grpc::ServerAsyncResponseWriter<HealthCheckResponse> responder_;
    bool answered_ = false;
};

void Drive(Health::AsyncService *svc, grpc::ServerCompletionQueue *cq) {
    for (int i = 0; i < kPrePosted; i++) new CallData(svc, cq);
    void *tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) static_cast<CallData *>(tag)->Proceed(ok);
}

volatile std::sig_atomic_t g_stop = 0;  // the only global: a signal handler needs one
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s 127.0.0.1:PORT [threads]\n", argv[0]);
        return 2;
    }
    int threads = argc > 2 ? std::atoi(argv[2]) : 2;
    if (threads < 1 || threads > 64) threads = 2;
    Health::AsyncService svc;
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(argv[1], grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&svc);
    std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
    for (int i = 0; i < threads; i++) cqs.push_back(builder.AddCompletionQueue());
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port == 0) {
        std::fprintf(stderr, "cannot listen on %s\n", argv[1]);
        return 1;
    }
    std::fprintf(stderr, "serving %s port=%d threads=%d\n", argv[1], port, threads);
    std::signal(SIGTERM, OnSignal);
    std::signal(SIGINT, OnSignal);
    std::vector<std::thread> workers;
    for (auto &cq : cqs) workers.emplace_back(Drive, &svc, cq.get());
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server->Shutdown();
    for (auto &cq : cqs) cq->Shutdown();
    for (auto &w : workers) w.join();
    return 0;
}
