/** A one-line progress bar on a terminal (stderr); silent when stderr is not a terminal. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly label: string,
    private readonly minIntervalMs = 100,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  /** The terminal's width; a pseudo-terminal may report 0 columns. */
  private get columns(): number {
    return this.stream.columns || 80;
  }

  update(done: number, total: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < this.minIntervalMs && done < total) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, this.columns - 40));
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const percent = `${Math.floor(ratio * 100)}`.padStart(3);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${detail}`;
    const max = this.columns - 1;
    this.stream.write(`\r${line.length > max ? line.slice(0, max) : line.padEnd(max)}`);
    this.drawn = true;
  }

  /** Clears the bar so the summary starts on a clean line. */
  done(): void {
    if (this.drawn) this.stream.write(`\r${' '.repeat(this.columns - 1)}\r`);
    this.drawn = false;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
