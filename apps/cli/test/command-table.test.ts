import { describe, expect, it } from 'vitest';
import { commandTable, loadAllCommands } from '../src/commands/index.js';
import { main } from '../src/main.js';

describe('the command table', () => {
  it('names each command as its module does, once', async () => {
    const loaded = await loadAllCommands();
    expect(loaded.map((c) => c.name)).toEqual(commandTable.map((e) => e.name));
    expect(new Set(loaded.map((c) => c.name)).size).toBe(loaded.length);
  });

  it('lists every command in --help and dispatches `sync status` before `sync`', async () => {
    const out: string[] = [];
    const stdout = { write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WritableStream;
    const stderr = { write: () => true } as unknown as NodeJS.WritableStream;
    expect(await main(['--help'], { stdout, stderr, env: {} })).toBe(0);
    for (const entry of commandTable) expect(out.join('')).toContain(`  ${entry.name} `);
    out.length = 0;
    expect(await main(['sync', 'status', '--help'], { stdout, stderr, env: {} })).toBe(0);
    expect(out.join('')).toContain('Usage: agentlogs sync status');
  });
});
