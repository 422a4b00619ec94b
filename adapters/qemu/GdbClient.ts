import { connect, type Socket } from "node:net";

/** A stop reply (T05...) or the stub going away. */
export type StopEvent = { kind: "stopped"; reply: string } | { kind: "closed" };

/**
 * A small client of the GDB remote serial protocol, enough to stop a guest at an
 * address: packets `$data#checksum`, acknowledged with `+` (GDB "Remote Protocol",
 * "Overview" and "Packets"). Only what the adapters use: Z0/Z1, c, interrupt.
 */
export class GdbClient {
  private buffer = "";
  private waiting: ((packet: string | null) => void)[] = [];
  private packets: string[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => this.onData(d));
    socket.on("close", () => this.onClose());
    socket.on("error", () => this.onClose());
  }

  static connect(path: string, timeoutMs: number): Promise<GdbClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ path });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`gdb stub at ${path} did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(new GdbClient(s));
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    for (;;) {
      // Acks and stray bytes before a packet are dropped.
      const start = this.buffer.indexOf("$");
      if (start < 0) {
        this.buffer = "";
        return;
      }
      const hash = this.buffer.indexOf("#", start);
      if (hash < 0 || this.buffer.length < hash + 3) {
        this.buffer = this.buffer.slice(start);
        return;
      }
      const body = this.buffer.slice(start + 1, hash);
      this.buffer = this.buffer.slice(hash + 3);
      this.socket.write("+");
      const w = this.waiting.shift();
      if (w) w(body);
      else this.packets.push(body);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(null);
  }

  private next(timeoutMs: number): Promise<string | null> {
    const queued = this.packets.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        reject(new GdbTimeout());
      }, timeoutMs);
      const done = (p: string | null): void => {
        clearTimeout(timer);
        resolve(p);
      };
      this.waiting.push(done);
    });
  }

  private send(body: string): void {
    let sum = 0;
    for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
    this.socket.write(`$${body}#${sum.toString(16).padStart(2, "0")}`);
  }

  /** Send a packet and wait for its reply. */
  async request(body: string, timeoutMs = 10_000): Promise<string> {
    this.send(body);
    const r = await this.next(timeoutMs);
    if (r === null) throw new Error(`gdb stub closed the connection after ${body}`);
    return r;
  }

  /** Set a breakpoint: software (Z0) under TCG, hardware (Z1) under KVM. */
  async breakpoint(addr: number, hardware: boolean): Promise<void> {
    const r = await this.request(`Z${hardware ? 1 : 0},${addr.toString(16)},1`);
    if (r !== "OK") throw new Error(`gdb stub refused a breakpoint at 0x${addr.toString(16)}: ${JSON.stringify(r)}`);
  }

  /** Continue, and wait for the next stop (or the stub to go away). Throws GdbTimeout. */
  async continueUntilStop(timeoutMs: number): Promise<StopEvent> {
    this.send("c");
    const r = await this.next(timeoutMs);
    return r === null ? { kind: "closed" } : { kind: "stopped", reply: r };
  }

  /** Stop a running guest (the protocol's interrupt byte) and wait for the stop reply. */
  async interrupt(timeoutMs = 5_000): Promise<StopEvent> {
    this.socket.write("\x03");
    const r = await this.next(timeoutMs);
    return r === null ? { kind: "closed" } : { kind: "stopped", reply: r };
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

export class GdbTimeout extends Error {
  override name = "GdbTimeout";
}
