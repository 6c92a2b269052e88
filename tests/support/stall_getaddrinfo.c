/* A DNS server that never answers, for the tests, as an LD_PRELOAD shim (the sandbox cannot run a
 * DNS server the system resolver would use).
 *
 * getaddrinfo(node, ...) for a node listed in PWS_STALL_HOSTS (comma-separated, exact names)
 * blocks as a lookup whose server never answers does: up to 60 s, then EAI_AGAIN. Every other node
 * goes to the real getaddrinfo (dlsym(RTLD_NEXT)), counted too, so a test can show the shim was in
 * the path and passed it through.
 *
 * The test looks these up with dlsym(RTLD_DEFAULT, ...); finding pws_stall_calls is how it knows
 * the shim is loaded:
 *   pws_stall_calls()    stalled calls started so far
 *   pws_stall_passed()   calls passed through to the real getaddrinfo
 *   pws_stall_blocked()  stalled calls blocked right now
 *   pws_stall_arm()      stall from now on (the state at load)
 *   pws_stall_release()  wake every stalled call (EAI_AGAIN), and answer later ones at once, until
 *                        armed again: a test releases the threads it left stuck before it joins
 *                        them (an io_context's destructor joins its resolver thread).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*getaddrinfo_fn)(const char*, const char*, const struct addrinfo*, struct addrinfo**);

static atomic_long stall_calls;
static atomic_long passed_calls;
static atomic_long blocked_now;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int released; /* under mutex */

long pws_stall_calls(void) { return atomic_load(&stall_calls); }
long pws_stall_passed(void) { return atomic_load(&passed_calls); }
long pws_stall_blocked(void) { return atomic_load(&blocked_now); }

void pws_stall_arm(void) {
    pthread_mutex_lock(&mutex);
    released = 0;
    pthread_mutex_unlock(&mutex);
}

void pws_stall_release(void) {
    pthread_mutex_lock(&mutex);
    released = 1;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mutex);
}

/* Whether `node` is one of PWS_STALL_HOSTS (read on every call: cheap, and never stale). */
static int stalled(const char* node) {
    const char* list = getenv("PWS_STALL_HOSTS");
    if (!node || !list) return 0;
    const size_t n = strlen(node);
    for (const char* p = list; *p;) {
        const char* end = strchr(p, ',');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && len > 0 && strncmp(p, node, n) == 0) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
    if (!stalled(node)) {
        static _Atomic(getaddrinfo_fn) real;
        getaddrinfo_fn f = atomic_load(&real);
        if (!f) {
            f = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
            if (!f) return EAI_SYSTEM;
            atomic_store(&real, f);
        }
        atomic_fetch_add(&passed_calls, 1);
        return f(node, service, hints, res);
    }
    atomic_fetch_add(&stall_calls, 1);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&mutex);
    atomic_fetch_add(&blocked_now, 1);
    while (!released)
        if (pthread_cond_timedwait(&wake, &mutex, &until) == ETIMEDOUT) break;
    atomic_fetch_sub(&blocked_now, 1);
    pthread_mutex_unlock(&mutex);
    *res = NULL;
    return EAI_AGAIN;
}
