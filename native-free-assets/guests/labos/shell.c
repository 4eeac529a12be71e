/*
 * shell.c -- the `labos> ` prompt: a line editor and the commands.
 *
 * Line editing: typed characters are echoed as they are read; backspace
 * (0x7f or 0x08) erases one ("\b \b"), Ctrl-U the whole line; '\r' or '\n'
 * ends it (a '\n' right after '\r' is ignored).  A line longer than the
 * buffer is cut: the extra characters are not taken (and not echoed).
 *
 * Background jobs: a line ending in '&' runs its command in a new kernel
 * thread named after it (`threads` lists it), and the shell prints
 * `[N] NAME` and goes straight back to reading (and echoing) keys while the
 * job runs; the job's own output appears as it is printed, then
 * `[N] done NAME`.  The job's thread is detached: when it ends its stack
 * and its slot are freed.  At most MAX_JOBS jobs at once.  Commands that
 * keep their state in statics (touch's window, cpu's work list, ping's
 * waiter, netflood's frame) are `single`: one of each at a time, in a job or
 * not; a second one is refused with one line.
 */
#include "dtb.h"
#include "virtio.h"

#define LINE 128
#define MAX_ARGV 16
#define MAX_JOBS 4                  /* background jobs at once */

static int after_cr;

static void read_line(char *buf, u32 size)
{
    u32 len = 0;
    for (;;) {
        int c = console_getc();
        if (c == '\n' && after_cr) {
            after_cr = 0;
            continue;
        }
        after_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            kputs("\n");
            buf[len] = '\0';
            return;
        }
        if (c == 0x7f || c == 0x08 || c == 0x15) {     /* backspace, delete, Ctrl-U */
            do {
                if (len == 0)
                    break;
                len--;
                kputs("\b \b");
            } while (c == 0x15);
            continue;
        }
        if (c < 0x20 || c > 0x7e || len + 1 >= size)
            continue;                                   /* control character, or full */
        buf[len++] = (char)c;
        console_write(&buf[len - 1], 1);                /* echo */
    }
}

/* --- commands ------------------------------------------------------- */

static void cmd_help(int argc, char **argv);

/* What kind of device a node is, by its compatible string, in a word. */
static const char *device_kind(int node)
{
    static const struct {
        const char *compat, *kind;
    } kinds[] = {
        { "ns16550a", "uart" }, { "ns16550", "uart" }, { "riscv,plic0", "plic" },
        { "sifive,plic-1.0.0", "plic" }, { "virtio,mmio", "virtio" },
        { "sifive,test0", "finisher" }, { "sifive,clint0", "clint" },
        { "google,goldfish-rtc", "rtc" }, { "pci-host-ecam-generic", "pci" },
        { "cfi-flash", "flash" }, { "qemu,fw-cfg-mmio", "fw-cfg" },
        { "hvlab,e1000", "nic" },
    };
    for (u32 i = 0; i < ARRAY_SIZE(kinds); i++)
        if (dtb_compatible(node, kinds[i].compat))
            return kinds[i].kind;
    return "other";
}

static void cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kprintf("harts: %u online, ids", cpus_online);
    for (u32 k = 0; k < ncpus; k++)
        if (cpus[k].online)
            kprintf(" %u", cpus[k].hartid);
    kputs("\n");
    kputs("isa: ");
    kputs(plat.isa ? plat.isa : "?");
    kprintf("\nmmu: %s\n", plat.mmu ? plat.mmu : "none");
    kprintf("memory: base 0x%08x, %u MiB\n", plat.ram_base, plat.ram_size >> 20);
    kprintf("timebase: %u Hz\n", plat.timebase);
    kputs("bootargs: ");
    kputs(plat.bootargs && plat.bootargs[0] ? plat.bootargs : "(none)");
    kputs("\n");
    for (int n = 0; n < dtb_node_count(); n++) {
        u32 irq;
        if (!dtb_is_device(n))
            continue;
        const char *compat = dtb_prop_str(n, "compatible");
        kprintf("device: %s %s compatible=%s", device_kind(n), dtb_node_name(n),
                compat ? compat : "-");
        if (dtb_irq(n, &irq) == 0)
            kprintf(" irq=%u", irq);
        kputs("\n");
    }
    kprintf("sbi: spec %u.%u, implementation 0x%08x version %u\n", sbi_info.spec >> 24 & 0x7f,
            sbi_info.spec & 0xffffff, sbi_info.impl_id, sbi_info.impl_version);
    kputs("sbi: extensions");
    for (u32 i = 0; i < SBIX_COUNT; i++)
        if (SBI_HAS(i))
            kprintf(" %s", sbi_ext_names[i]);
    kputs("\n");
    u32 irq = 0;
    if (console_kind == CONSOLE_UART) {
        dtb_irq(plat.uart_node, &irq);
        kprintf("console: uart (%s, irq %u): polled output, interrupt input\n",
                dtb_node_name(plat.uart_node), irq);
    } else if (console_kind == CONSOLE_VIRTIO) {
        vconsole_info();
    } else {
        kputs("console: dbcn (SBI debug console): buffered output, input polled on tick\n");
    }
    kprintf("timer: %s, tick %u ms\n",
            timer_kind == TIMER_SSTC ? "sstc (stimecmp)" : "sbi (set_timer)", 10);
    for (int i = 0; i < virtio_count(); i++) {  /* the slots that hold a device */
        struct virtio_dev *d = virtio_get(i);
        kprintf("virtio: %s irq %u: %s (id %u), %s\n", d->name, d->irq, virtio_id_name(d->id),
                d->id, d->version != 2 ? "legacy, not used"
                : d->broken ? "stopped (needs reset)"
                : d->driver ? (d->event_idx ? "driven, event_idx on" : "driven, event_idx off")
                : "no driver");
    }
}

static void cmd_mem(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct page_stats s;
    page_get_stats(&s);
    kprintf("mem: total=%u free=%u used=%u peak=%u pages of 4 KiB\n", s.total, s.free,
            s.used, s.peak);
    kprintf("mem: allocs=%u frees=%u failures=%u\n", s.allocs, s.frees, s.failures);
}

static void cmd_time(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    u32 ms = ticks_to_ms(uptime_ticks());
    kprintf("time: uptime=%u.%03u ticks=%u\n", ms / 1000, ms % 1000, ticks_total);
}

static void hart_list(char *buf, u32 size, u32 mask)
{
    u32 n = 0;
    buf[0] = '\0';
    for (u32 h = 0; h < 32; h++)
        if (mask & (1u << h))
            n += format(buf + n, size - n, n ? ",%u" : "%u", h);
}

/* Time is charged to a thread when it is switched out; add the run in progress.
 * (Read without locks: a display, it may be a moment out of date.) */
static u64 running_for(struct thread *t, int *idle)
{
    u64 now = rdtime();
    for (u32 k = 0; k < ncpus; k++)
        if (cpus[k].online && cpus[k].current == t && now > cpus[k].switch_time) {
            if (idle)
                *idle = t->is_idle;
            return now - cpus[k].switch_time;
        }
    return 0;
}

static void cmd_threads(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < thread_slots(); i++) {
        struct thread *t = thread_get(i);
        char harts[40];
        if (t->state == T_UNUSED)
            continue;
        hart_list(harts, sizeof harts, t->harts);
        u64 cpu = t->cpu_time + running_for(t, NULL);
        kprintf("thread %u %s: %s, hart %u, harts %s, runs %u, cpu %u ticks (%u ms)\n", t->id,
                t->name, thread_state_name(t), t->last_hart, harts, t->runs,
                (u32)udiv64(cpu, tick_len), ticks_to_ms(cpu));
    }
    for (u32 k = 0; k < ncpus; k++) {
        int idle = 0;
        u64 now = running_for(cpus[k].current, &idle);
        u64 busy = cpus[k].busy_time + (idle ? 0 : now);
        u64 idle_time = cpus[k].idle_time + (idle ? now : 0);
        kprintf("hart %u: switches %u, busy %u ms, idle %u ms, ticks %u%s\n", cpus[k].hartid,
                cpus[k].switches, ticks_to_ms(busy), ticks_to_ms(idle_time), cpus[k].ticks,
                cpus[k].online ? "" : " (offline)");
    }
    for (int i = 0; i < spin_count(); i++)
        kprintf("lock %s: acquired %u, contended %u\n", spin_get(i)->name,
                spin_get(i)->acquired, spin_get(i)->contended);
}

static int arg_uint(const char *cmd, const char *s, u32 *v, u32 min, u32 max)
{
    if (parse_uint(s, v) == 0 && *v >= min && *v <= max)
        return 0;
    kprintf("%s: bad number %s (want %u..%u)\n", cmd, s, min, max);
    return -1;
}

static void cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        kprintf(i > 1 ? " %s" : "%s", argv[i]);
    kputs("\n");
}

static void cmd_flood(int argc, char **argv)
{
    u32 n, k;
    if (argc != 3) {
        kputs("usage: flood N K\n");
        return;
    }
    if (arg_uint("flood", argv[1], &n, 1, 0x40000000) == 0 &&
        arg_uint("flood", argv[2], &k, 1, 4096) == 0)
        workload_flood(n, k);
}

static void cmd_touch(int argc, char **argv)
{
    u32 w;
    if (argc != 3 || (strcmp(argv[2], "seq") != 0 && strcmp(argv[2], "rand") != 0)) {
        kputs("usage: touch W seq|rand\n");
        return;
    }
    if (arg_uint("touch", argv[1], &w, 1, LAZY_MAX_PAGES) == 0)
        workload_touch(w, strcmp(argv[2], "rand") == 0);
}

static void cmd_cpu(int argc, char **argv)
{
    u32 t = cpus_online;
    if (argc > 2) {
        kputs("usage: cpu [T]\n");
        return;
    }
    if (argc == 2 && arg_uint("cpu", argv[1], &t, 1, 16) != 0)
        return;
    workload_cpu(t);
}

static void cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    workload_bench();
}

static void cmd_memhog(int argc, char **argv)
{
    u32 mb;
    if (argc != 2) {
        kputs("usage: memhog MB\n");
        return;
    }
    if (arg_uint("memhog", argv[1], &mb, 1, 4096) == 0)
        workload_memhog(mb);
}

static void cmd_sleep(int argc, char **argv)
{
    u32 ms;
    if (argc != 2) {
        kputs("usage: sleep MS\n");
        return;
    }
    if (arg_uint("sleep", argv[1], &ms, 0, 600000) == 0)
        thread_sleep_ms(ms);
}

static void cmd_exit(int argc, char **argv)
{
    u32 code = 0;
    if (argc > 1 && arg_uint("exit", argv[1], &code, 0, 255) != 0)
        return;
    shutdown(code);
}

static const struct command {
    const char *name, *args, *help;
    void (*fn)(int argc, char **argv);
    int single;                 /* 1: one at a time (it keeps its state in statics) */
} commands[] = {
    { "help", "", "this list", cmd_help, 0 },
    { "info", "", "harts, memory, devices (from the DTB), SBI, drivers", cmd_info, 0 },
    { "mem", "", "page allocator statistics", cmd_mem, 0 },
    { "time", "", "uptime (seconds) and timer ticks so far", cmd_time, 0 },
    { "threads", "", "threads and harts: where and how long they ran", cmd_threads, 0 },
    { "echo", "ARGS", "print ARGS", cmd_echo, 0 },
    { "flood", "N K", "write N bytes to the console, K bytes per write", cmd_flood, 0 },
    { "touch", "W seq|rand", "fault in W pages, then touch each again", cmd_touch, 1 },
    { "cpu", "[T]", "CPU benchmark over T threads (default: one per hart)", cmd_cpu, 1 },
    { "bench", "", "the CPU benchmark's kernels one by one, one thread", cmd_bench, 0 },
    { "net", "", "network devices: MAC, link, MTU, packets in and out", cmd_net, 0 },
    { "ping", "MAC [COUNT]", "echo frames to MAC (ff:ff:ff:ff:ff:ff: everyone)", cmd_ping, 1 },
    { "netflood", "N SIZE BATCH virtio|nic", "send N frames of SIZE bytes, BATCH per kick",
      cmd_netflood, 1 },
    { "balloon", "", "balloon target, actual, pages held, stats sent", cmd_balloon, 0 },
    { "memhog", "MB", "allocate MB MiB until out of memory, then free it", cmd_memhog, 0 },
    { "sleep", "MS", "sleep MS milliseconds", cmd_sleep, 0 },
    { "exit", "[CODE]", "power off; the run's exit status is CODE (default 0)", cmd_exit, 0 },
};

static void cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (u32 i = 0; i < ARRAY_SIZE(commands); i++) {
        char usage[48];
        int n = format(usage, sizeof usage, "%s %s", commands[i].name, commands[i].args);
        while (n < 18)
            usage[n++] = ' ';                           /* left-justify: pad to column 18 */
        if (usage[n - 1] != ' ')
            usage[n++] = ' ';                           /* (a longer one: one space) */
        usage[n] = '\0';
        kprintf("%s%s\n", usage, commands[i].help);
    }
    kprintf("COMMAND &         run it in the background: a job (up to %u at once)\n", MAX_JOBS);
}

/* --- running commands, in the shell's thread or in a job's ---------- */

static volatile int running[ARRAY_SIZE(commands)];    /* single commands running */

struct job {
    volatile int busy;
    const struct command *cmd;
    int argc;
    char *argv[MAX_ARGV];
    char words[LINE];                                   /* argv points in here */
};
static struct job jobs[MAX_JOBS];

/* Cut line into words at spaces (in place); returns how many. */
static int split(char *line, char **argv)
{
    int argc = 0;
    for (char *p = line; *p && argc < MAX_ARGV;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return argc;
}

/* Remove a final '&' (and the spaces after it); 1 if there was one. */
static int take_ampersand(char *line)
{
    u32 n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        n--;
    if (n == 0 || line[n - 1] != '&')
        return 0;
    line[n - 1] = '\0';
    return 1;
}

/* The shell's thread only: the command called name, marked running if it is
 * single; NULL (and why) if there is none or it is already running. */
static const struct command *claim(const char *name)
{
    for (u32 i = 0; i < ARRAY_SIZE(commands); i++) {
        if (strcmp(name, commands[i].name) != 0)
            continue;
        if (commands[i].single) {
            if (running[i]) {
                kprintf("%s: already running (one at a time)\n", name);
                return NULL;
            }
            running[i] = 1;
        }
        return &commands[i];
    }
    kprintf("unknown command: %s (try help)\n", name);
    return NULL;
}

static void release(const struct command *cmd)
{
    __atomic_store_n(&running[cmd - commands], 0, __ATOMIC_RELEASE);
}

static void job_main(void *arg)
{
    struct job *j = arg;
    thread_detach();                                    /* nobody joins a job */
    j->cmd->fn(j->argc, j->argv);
    kprintf("[%u] done %s\n", (u32)(j - jobs) + 1, j->argv[0]);
    release(j->cmd);
    __atomic_store_n(&j->busy, 0, __ATOMIC_RELEASE);    /* last use of j: the slot is free */
}

/* Run cmd in a new thread, job N: `[N] NAME`, and the shell reads on.  The
 * words are copied (they fit: they came from one line), since the shell's
 * line buffer is reused for the next line. */
static void start_job(const struct command *cmd, int argc, char **argv)
{
    struct job *j = NULL;
    for (u32 i = 0; i < MAX_JOBS && !j; i++)
        if (!jobs[i].busy)
            j = &jobs[i];
    if (!j) {
        kprintf("jobs: %u running already; wait for one to finish\n", MAX_JOBS);
        release(cmd);
        return;
    }
    char *p = j->words;
    for (int i = 0; i < argc; i++) {
        u32 n = strlen(argv[i]) + 1;
        memcpy(p, argv[i], n);
        j->argv[i] = p;
        p += n;
    }
    j->cmd = cmd;
    j->argc = argc;
    j->busy = 1;
    u32 n = (u32)(j - jobs) + 1;
    kprintf("[%u] %s\n", n, cmd->name);                /* before the job can print */
    if (!thread_create(cmd->name, job_main, j)) {
        kprintf("[%u] no thread for it (out of memory or thread slots)\n", n);
        release(cmd);
        j->busy = 0;
    }
}

void shell_main(void *arg)
{
    (void)arg;
    char line[LINE];
    char *argv[MAX_ARGV];
    for (;;) {
        kputs("labos> ");
        read_line(line, sizeof line);
        int background = take_ampersand(line);
        int argc = split(line, argv);
        const struct command *cmd = argc ? claim(argv[0]) : NULL;
        if (!cmd)
            continue;
        if (background) {
            start_job(cmd, argc, argv);
        } else {
            cmd->fn(argc, argv);
            release(cmd);
        }
    }
}
