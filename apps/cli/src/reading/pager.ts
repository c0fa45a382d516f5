import { spawn } from 'node:child_process';
import type { CommandContext } from '../context.js';

/**
 * Prints `lines`, through a pager when stdout is a terminal and the text is longer than the screen: `$PAGER`
 * (`less -FRX` when unset; an empty `PAGER` or `cat` prints directly). Never a pager when stdout is not a
 * terminal (a pipe, a file, a test).
 */
export async function printPaged(ctx: CommandContext, lines: string[]): Promise<void> {
  const stdout = ctx.stdout as NodeJS.WriteStream;
  const rows = stdout.rows ?? 24;
  const pagerCommand = ctx.env.PAGER ?? 'less -FRX';
  if (
    ctx.stdout !== process.stdout ||
    stdout.isTTY !== true ||
    lines.length < rows ||
    pagerCommand.trim() === '' ||
    pagerCommand.trim() === 'cat'
  ) {
    for (const line of lines) ctx.out(line);
    return;
  }
  const shown = await new Promise<boolean>((resolve) => {
    const child = spawn(pagerCommand, {
      shell: true,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { LESS: 'FRX', ...ctx.env },
    });
    let started = false;
    child.on('spawn', () => {
      started = true;
    });
    child.on('error', () => resolve(started));
    child.on('close', (code) => resolve(started && code !== 127));
    child.stdin.on('error', () => {
      // the reader quit the pager before the end: nothing more to show
    });
    child.stdin.end(`${lines.join('\n')}\n`);
  });
  if (!shown) for (const line of lines) ctx.out(line);
}
