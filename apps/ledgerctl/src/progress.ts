/**
 * A progress display on stderr for long runs: a bar redrawn in place with
 * rate and ETA on a terminal; one plain line every ~2 s otherwise (logs, CI).
 * The total is an estimate (headPosition is an upper bound of the feed), so
 * the bar stops at 100 % and the ETA is a guess.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Minimum time between two plain lines when the stream is not a terminal. */
  lineEveryMs?: number;
  now?: () => number;
  unit?: string;
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly lineEveryMs: number;
  private readonly now: () => number;
  private readonly unit: string;
  private readonly started: number;
  private done = 0;
  private lastDraw = 0;
  private drawn = false;
  private finished = false;

  constructor(
    private readonly label: string,
    private total: number,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.lineEveryMs = options.lineEveryMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.unit = options.unit ?? 'events';
    this.started = this.now();
    this.lastDraw = this.started;
  }

  /** Sets how far it got (absolute); redraws at most every 100 ms on a terminal, every ~2 s otherwise. */
  update(done: number, total?: number): void {
    if (this.finished) return;
    this.done = done;
    if (total !== undefined) this.total = total;
    const t = this.now();
    if (t - this.lastDraw < (this.tty ? 100 : this.lineEveryMs)) return;
    this.lastDraw = t;
    this.draw();
  }

  /** The last state, and a new line on a terminal. */
  finish(summary?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tty) {
      if (this.drawn || summary) this.stream.write(`\r\x1b[2K${this.label}: ${summary ?? this.line()}\n`);
    } else if (summary || this.drawn) {
      this.stream.write(`${this.label}: ${summary ?? this.line()}\n`);
    }
  }

  /** `1,234/5,000 events (24%) 2,345 events/s ETA 0:02`. */
  line(): string {
    const seconds = Math.max((this.now() - this.started) / 1_000, 0.001);
    const rate = this.done / seconds;
    const total = Math.max(this.total, this.done);
    const pct = total > 0 ? Math.min(100, Math.floor((this.done / total) * 100)) : 100;
    const eta = rate > 0 && total > this.done ? formatDuration((total - this.done) / rate) : '0:00';
    return `${fmt(this.done)}/${fmt(total)} ${this.unit} (${pct}%) ${fmt(Math.round(rate))} ${this.unit}/s ETA ${eta}`;
  }

  private draw(): void {
    this.drawn = true;
    if (!this.tty) {
      this.stream.write(`${this.label}: ${this.line()}\n`);
      return;
    }
    const total = Math.max(this.total, this.done);
    const ratio = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
    const filled = Math.round(ratio * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    this.stream.write(`\r\x1b[2K${this.label} ${bar} ${this.line()}`);
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

const fmt = (n: number) => n.toLocaleString('en-US');
