import { connect, type Socket } from "node:net";

/**
 * A client of QEMU's machine protocol (QMP, docs/interop/qmp-spec): one JSON object
 * per line; a greeting, then qmp_capabilities, then commands answered in order.
 * Asynchronous events are skipped.
 */
export class QmpClient {
  private buffer = "";
  private waiting: ((msg: Record<string, unknown> | null) => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => this.onData(d));
    socket.on("close", () => this.onClose());
    socket.on("error", () => this.onClose());
  }

  static async connect(path: string, timeoutMs: number): Promise<QmpClient> {
    // The socket file can appear a moment before QEMU listens on it: retry a refused connect briefly.
    let s: Socket | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        s = await QmpClient.open(path, timeoutMs);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ECONNREFUSED" || attempt >= 40) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const c = new QmpClient(s);
    const greeting = await c.next(timeoutMs);
    if (!greeting || !("QMP" in greeting)) throw new Error("QMP: no greeting");
    await c.execute("qmp_capabilities");
    return c;
  }

  private static open(path: string, timeoutMs: number): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const sock = connect({ path });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`QMP at ${path} did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once("connect", () => {
        clearTimeout(timer);
        resolve(sock);
      });
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    let nl;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ("event" in msg) continue;
      this.waiting.shift()?.(msg);
    }
  }

  private onClose(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(null);
  }

  private next(timeoutMs: number): Promise<Record<string, unknown> | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`QMP: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> {
    const reply = this.next(timeoutMs);
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + "\n");
    const r = await reply;
    if (!r) throw new Error(`QMP: connection closed during ${command}`);
    if ("error" in r) throw new Error(`QMP ${command}: ${JSON.stringify(r["error"])}`);
    return r["return"];
  }

  /** A human monitor command ("info registers"), through QMP. */
  async hmp(commandLine: string): Promise<string> {
    return (await this.execute("human-monitor-command", { "command-line": commandLine })) as string;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
