// The sandbox's init: pid 1 of a sandbox (rlimits + ASLR-off for the program, reaping, an exact
// report), and, in its guard mode, the host command in front of the containment.
//
// Built by pie_assets/runtime/sandbox/init.py (gcc -std=gnu17 -O2 -static), cached by the hash of
// this file and the compiler's identity. Its command lines and its report are that module's
// contract with this file: change them together.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static rlim_t number(const char *text) { return strtoull(text, NULL, 10); }

static long micros(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }

static pid_t program;

// SIGTERM from the harness (wall guard, output cap): kill the program; the rest goes as usual, so
// even a killed run gets an exact report.
static void stop(int signo) {
    (void)signo;
    if (getpid() == 1) kill(-1, SIGKILL);
    else kill(program, SIGKILL);
}

// Kill what is left of the program's tree and reap it all, so the usage covers the whole tree.
// As pid 1, kill(-1) reaches exactly the sandbox's processes; otherwise, as a subreaper, every
// orphan of the tree (setsid() escapees included) is our child.
static void kill_rest(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    for (;;) {
        if (getpid() == 1) {
            kill(-1, SIGKILL);
        } else {
            FILE *children = fopen(path, "r");
            if (children) {
                int pid;
                while (fscanf(children, "%d", &pid) == 1) kill(pid, SIGKILL);
                fclose(children);
            }
        }
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) return;
    }
}

// init --guard HARNESS_PID -- COMMAND [ARGS...]: on the host, in front of the containment, what
// `setpriv --pdeathsig KILL` did, without a dynamic binary's start: die with the harness, and never
// start the command once the harness has died.
static int guard(char **argv) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)atol(argv[2])) return 125;
    execvp(argv[4], argv + 4);
    fprintf(stderr, "sandbox guard: cannot execute %s: %s\n", argv[4], strerror(errno));
    return 127;
}

// What the program's fork failed at before running it, told to us on a pipe that its exec closes.
enum { STARTED, SET_RLIMITS, SET_PERSONALITY, EXEC };
struct failure {
    int stage, error;
};

static void fail(int pipe_fd, int stage) {
    struct failure what = {stage, errno};
    if (write(pipe_fd, &what, sizeof what) != (ssize_t)sizeof what) {
        // nothing more to do: we exit 127 anyway
    }
    _exit(127);
}

static void limit(int pipe_fd, int resource, rlim_t soft, rlim_t hard) {
    struct rlimit value = {soft, hard};
    if (setrlimit(resource, &value) != 0) fail(pipe_fd, SET_RLIMITS);
}

// init REPORT_FD CPU_S AS_BYTES FSIZE_BYTES NPROC -- PROGRAM [ARGS...]
// Reports "STATUS UTIME_US STIME_US MAXRSS_KB STAGE ERRNO": STAGE is STARTED once the program's
// exec succeeded; otherwise what failed, with its errno, and STATUS is only our fork's exit 127,
// never the program's (a program may exit 127 itself).
int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "--guard") == 0 && strcmp(argv[3], "--") == 0) return guard(argv);
    if (argc < 8 || strcmp(argv[6], "--") != 0) {
        fputs("sandbox init: bad usage\n", stderr);
        return 125;
    }
    int report = atoi(argv[1]);
    prctl(PR_SET_DUMPABLE, 0);         // the program (same uid) may not ptrace us or open our fds
    prctl(PR_SET_CHILD_SUBREAPER, 1);  // without a pid namespace, orphans still come back to us
    int failed[2];
    if (pipe2(failed, O_CLOEXEC) != 0) {
        perror("sandbox init: pipe2");
        return 125;
    }
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);  // until `program` is known
    pid_t child = program = fork();
    if (child < 0) {
        perror("sandbox init: fork");
        return 125;
    }
    if (child == 0) {
        sigprocmask(SIG_UNBLOCK, &term, NULL);
        int out = failed[1];  // kept (close-on-exec) through the close of every other fd above 2
        if (out > 3) close_range(3, out - 1, 0);
        close_range(out + 1, ~0U, 0);
        rlim_t cpu = number(argv[2]);
        limit(out, RLIMIT_CPU, cpu, cpu + 1);
        limit(out, RLIMIT_AS, number(argv[3]), number(argv[3]));
        limit(out, RLIMIT_FSIZE, number(argv[4]), number(argv[4]));
        limit(out, RLIMIT_NPROC, number(argv[5]), number(argv[5]));
        limit(out, RLIMIT_CORE, 0, 0);
        if (personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE) == -1) fail(out, SET_PERSONALITY);
        execvp(argv[7], argv + 7);
        fail(out, EXEC);
    }
    close(failed[1]);
    signal(SIGTERM, stop);
    sigprocmask(SIG_UNBLOCK, &term, NULL);
    int status;
    for (;;) {
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == child) break;
        if (pid < 0 && errno != EINTR) {
            perror("sandbox init: waitpid");
            return 125;
        }
    }
    kill_rest();
    struct failure what = {STARTED, 0};
    if (read(failed[0], &what, sizeof what) != (ssize_t)sizeof what) what.stage = STARTED;
    struct rusage usage;
    getrusage(RUSAGE_CHILDREN, &usage);
    dprintf(report, "%d %ld %ld %ld %d %d\n", status, micros(usage.ru_utime), micros(usage.ru_stime), usage.ru_maxrss,
            what.stage, what.error);
    return 0;
}
