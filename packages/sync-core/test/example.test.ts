import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CostTracker } from '../examples/statusline-cost.js';
import { MemoryLocalStore, MemoryServer } from '../src/testing/index.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

function compile(files: string[], options: ts.CompilerOptions) {
  const program = ts.createProgram(files, { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

function packageOptions(tsconfig: string): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(
    here(tsconfig),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (!config) throw new Error(`cannot read ${tsconfig}`);
  return config.options;
}

describe('the statusline cost tracker example', () => {
  it('compiles under the package’s strict settings against the published types', () => {
    expect(compile([here('../examples/statusline-cost.ts')], packageOptions('../tsconfig.json'))).toEqual([]);
  }, 60_000);

  it('syncs daily costs between two machines through the in-memory server', async () => {
    const server = new MemoryServer({ tables: ['daily_costs'] });
    const laptop = new CostTracker(
      new MemoryLocalStore({ deviceId: 'laptop-1' }),
      server.connect('me'),
      'laptop',
    );
    const desktop = new CostTracker(
      new MemoryLocalStore({ deviceId: 'desktop-1' }),
      server.connect('me'),
      'desktop',
    );
    await laptop.record('2026-03-01', 1.25);
    await laptop.record('2026-03-01', 0.5);
    await desktop.record('2026-03-01', 2);
    await desktop.record('2026-02-28', 9);
    expect(laptop.statusline('2026-03-01')).toBe('$1.75 today on 1 machine');
    await laptop.sync();
    await desktop.sync();
    await laptop.sync();
    expect(laptop.statusline('2026-03-01')).toBe('$3.75 today on 2 machines');
    expect(desktop.statusline('2026-03-01')).toBe('$3.75 today on 2 machines');
    expect((await laptop.engine.verify()).ok).toBe(true);
    // Someone else's data stays theirs.
    const stranger = new CostTracker(
      new MemoryLocalStore({ deviceId: 'x' }),
      server.connect('someone-else'),
      'x',
    );
    await stranger.sync();
    expect(stranger.statusline('2026-03-01')).toBe('$0.00 today on 0 machines');
  });
});

describe('purity', () => {
  it('the package compiles without Node types, and a stray node: import fails to compile', () => {
    const options = packageOptions('../tsconfig.json');
    expect(compile([here('../src/index.ts'), here('../src/testing/index.ts')], options)).toEqual([]);
    const stray = ts.sys.resolvePath(here('../src/stray-import-probe.ts'));
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (file) =>
      file === stray
        ? "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"
        : read(file);
    const exists = host.fileExists.bind(host);
    host.fileExists = (file) => file === stray || exists(file);
    const program = ts.createProgram([stray], { ...options, noEmit: true }, host);
    const messages = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(messages.join('\n')).toMatch(/node:fs/);
  }, 60_000);
});
