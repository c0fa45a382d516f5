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
    // The bar gives way to the detail on a narrow terminal (down to 10 cells).
    const width = Math.max(10, Math.min(40, this.columns - 1 - (this.label.length + 9 + detail.length)));
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

/** `12 s`, `3 min 20 s`, `1 h 05 min`: a duration for a progress line. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * The time left at the rate so far, or null until it means something (at least a second and 1 % of the work
 * done, and work left).
 */
export function estimateRemainingMs(done: number, total: number, elapsedMs: number): number | null {
  if (total <= 0 || done <= 0 || done >= total || elapsedMs < 1000 || done / total < 0.01) return null;
  return (elapsedMs * (total - done)) / done;
}

/** What the import's bar says beside its percentage: `120/3277 files, 7.9/198.4 MiB, ETA 12 s`. */
export function importProgressDetail(
  p: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number },
  elapsedMs: number,
): string {
  const mib = (n: number) => (n / 1024 ** 2).toFixed(1);
  const eta = estimateRemainingMs(p.bytesDone, p.bytesTotal, elapsedMs);
  return (
    `${p.filesDone}/${p.filesTotal} files, ${mib(p.bytesDone)}/${mib(p.bytesTotal)} MiB` +
    (eta === null ? '' : `, ETA ${formatDuration(eta)}`)
  );
}
